# The rule engine of the make stub. It reads one Makefile, then makes the
# goals: prerequisites first, a target again when it is phony, missing, or
# older than a prerequisite. Recipes run line by line through /bin/sh, as in make.

function value(name) {
    if (name in overridden) return overridden[name]
    if (name in variables) return variables[name]
    if (name in ENVIRON) return ENVIRON[name]
    if (name == "CC") return "cc"
    if (name == "MAKE") return "make"
    if (name == "SHELL") return "/bin/sh"
    return ""
}

function expand(text,    result, at, next_char, closing, length_of_name) {
    result = ""
    while ((at = index(text, "$")) > 0) {
        result = result substr(text, 1, at - 1)
        next_char = substr(text, at + 1, 1)
        if (next_char == "$") {
            result = result "$"
            text = substr(text, at + 2)
        } else if (next_char == "(" || next_char == "{") {
            closing = next_char == "(" ? ")" : "}"
            length_of_name = index(substr(text, at + 2), closing) - 1
            result = result expand(value(substr(text, at + 2, length_of_name)))
            text = substr(text, at + 3 + length_of_name)
        } else {
            result = result expand(value(next_char))
            text = substr(text, at + 2)
        }
    }
    return result text
}

function trim(text) {
    sub(/^[ \t]+/, "", text)
    sub(/[ \t]+$/, "", text)
    return text
}

function exists(path) {
    return system("test -e '" path "'") == 0
}

function newer(first, second) {
    return system("test '" first "' -nt '" second "'") == 0
}

function make(target,    prerequisites, count, i, needed, lines, line, silent, ignore, status) {
    if (target in made) return
    made[target] = 1
    if (!(target in rules)) {
        if (exists(target)) return
        printf "make: *** No rule to make target '%s'.  Stop.\n", target > "/dev/stderr"
        exit 2
    }
    count = split(rules[target], prerequisites, " ")
    needed = (target in phony) || !exists(target)
    for (i = 1; i <= count; i++) {
        make(prerequisites[i])
        if ((prerequisites[i] in ran) || newer(prerequisites[i], target)) needed = 1
    }
    if (!needed) return
    variables["@"] = target
    variables["<"] = prerequisites[1]
    variables["^"] = rules[target]
    count = split(recipes[target], lines, "\n")
    for (i = 1; i <= count; i++) {
        line = lines[i]
        silent = 0
        ignore = 0
        while (line ~ /^[@+-]/) {
            if (substr(line, 1, 1) == "@") silent = 1
            if (substr(line, 1, 1) == "-") ignore = 1
            line = substr(line, 2)
        }
        line = expand(line)
        if (line ~ /^[ \t]*$/) continue
        if (!silent) print line
        fflush()
        status = system(line)
        if (status != 0 && !ignore) {
            printf "make: *** [%s] Error %d\n", target, status > "/dev/stderr"
            exit 2
        }
    }
    ran[target] = 1
}

BEGIN {
    count = split(overrides, assignments, "\n")
    for (i = 1; i <= count; i++) {
        if (assignments[i] == "") continue
        at = index(assignments[i], "=")
        overridden[substr(assignments[i], 1, at - 1)] = substr(assignments[i], at + 1)
    }
}

/^\t/ {
    for (name in current) recipes[name] = recipes[name] substr($0, 2) "\n"
    next
}

/^[ \t]*(#|$)/ { next }

/^[A-Za-z_][A-Za-z0-9_.]*[ \t]*(:=|::=|\?=|\+=|=)/ {
    split("", current)
    at = index($0, "=")
    operator = substr($0, at - 1, 1)
    name = trim(substr($0, 1, at - 1))
    sub(/[:?+]+$/, "", name)
    name = trim(name)
    text = trim(substr($0, at + 1))
    if (operator == ":") variables[name] = expand(text)
    else if (operator == "?") { if (!(name in variables)) variables[name] = text }
    else if (operator == "+") variables[name] = (name in variables) ? variables[name] " " text : text
    else variables[name] = text
    next
}

/:/ {
    split("", current)
    at = index($0, ":")
    targets = expand(substr($0, 1, at - 1))
    prerequisites = expand(substr($0, at + 1))
    sub(/;.*/, "", prerequisites)
    count = split(targets, names, " ")
    for (i = 1; i <= count; i++) {
        if (names[i] == ".PHONY") {
            more = split(prerequisites, phony_names, " ")
            for (j = 1; j <= more; j++) phony[phony_names[j]] = 1
            continue
        }
        if (substr(names[i], 1, 1) == ".") continue
        rules[names[i]] = trim(rules[names[i]] " " prerequisites)
        current[names[i]] = 1
        if (default_goal == "") default_goal = names[i]
    }
    next
}

END {
    count = split(goals, wanted, " ")
    if (count == 0) {
        if (default_goal == "") {
            print "make: *** No targets.  Stop." > "/dev/stderr"
            exit 2
        }
        wanted[1] = default_goal
        count = 1
    }
    for (g = 1; g <= count; g++) make(wanted[g])
}
