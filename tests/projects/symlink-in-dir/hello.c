/* hello: the program the symlink-in-dir test project installs. */
#include <stdio.h>

int main(void)
{
    puts("hello");
    return 0;
}
