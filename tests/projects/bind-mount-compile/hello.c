/* hello is compiled when the build container runs, in the bind-mounted project. */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
