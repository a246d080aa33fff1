/* gen-doc.c: writes the man page and the shell completions from the option table (options_doc), so that
 * they cannot drift from what --help shows. Built and run at build time, never installed.
 *
 *   gen-doc TEMPLATE     copy TEMPLATE to stdout, filling it in:
 *     a line "@@man-options@@"   the OPTIONS section in troff, grouped as in --help
 *     a line "@@bash-options@@"  bash: the option list, the capability names, _sandbox_args OPTION
 *     a line "@@zsh-options@@"   zsh: the _arguments specs and capability names
 *     a line "@@fish-options@@"  fish: a "complete" line per option, __sandbox_args OPTION, capabilities
 *     "@VERSION@", "@DATE@"      the package version; SOURCE_DATE_EPOCH (else TEMPLATE's mtime) as a date
 *     "@PKGLIBEXECDIR@"          where the sandbox-scope helper is installed
 *   gen-doc --list       the option names, one a line
 *
 * What completes after an option comes from its metavar words (see kind_of): DEST, SRC, PATH... are paths,
 * names with DIR directories, FD the shell's open fds, CAP capability names, VAR environment variables. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/capability.h>

#include "options.h"
#include "utils.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.0.0"
#endif

enum kind {
    K_NONE,
    K_FILE,
    K_DIR,
    K_FD,
    K_CAP,
    K_VAR,
};

static const char *const kind_names[] = {
    [K_NONE] = "none", [K_FILE] = "file", [K_DIR] = "dir", [K_FD] = "fd", [K_CAP] = "cap", [K_VAR] = "var",
};

static const char *progname = "gen-doc";

static void fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", progname, what);
    exit(1);
}

static void fail_errno(const char *what, const char *arg)
{
    fprintf(stderr, "%s: %s %s: %s\n", progname, what, arg, strerror(errno));
    exit(1);
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* The kind of one metavar word (len bytes at w). */
static enum kind kind_of(const char *w, size_t len)
{
    if (len == 2 && memcmp(w, "FD", 2) == 0)
        return K_FD;
    if (len == 3 && memcmp(w, "CAP", 3) == 0)
        return K_CAP;
    if (len == 3 && memcmp(w, "VAR", 3) == 0)
        return K_VAR;
    if (memmem(w, len, "DIR", 3))
        return K_DIR;
    if (ends_with(w, len, "SRC") || ends_with(w, len, "DEST") || ends_with(w, len, "PATH") ||
        ends_with(w, len, "FILE"))
        return K_FILE;
    return K_NONE;
}

/* The metavar words of an option, each with the kind of value it stands for. */
#define MAX_WORDS 8
struct words {
    size_t n;
    const char *w[MAX_WORDS];
    size_t len[MAX_WORDS];
    enum kind kind[MAX_WORDS];
};

static void split_metavar(const struct option_doc *doc, struct words *out)
{
    out->n = 0;
    for (const char *p = doc->metavar; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " ");
        if (out->n == MAX_WORDS)
            fail("too many metavar words");
        out->w[out->n] = p;
        out->len[out->n] = len;
        out->kind[out->n] = kind_of(p, len);
        out->n++;
        p += len;
    }
    /* The completions walk the command line by nargs: a metavar that disagrees would mislead them. */
    if (doc->nargs >= 0 && out->n != (size_t)doc->nargs) {
        fprintf(stderr, "%s: %s: metavar \"%s\" does not name its %d arguments\n", progname, doc->name,
                doc->metavar, doc->nargs);
        exit(1);
    }
}

static int is_option(const char *name, size_t len)
{
    struct option_doc buf;
    const struct option_doc *d;
    for (size_t i = 0; (d = options_doc(i, &buf)); i++)
        if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
            return 1;
    return 0;
}

/* ---- troff ---- */

static void troff_escaped(const char *s, size_t len, int minus)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            fputs("\\e", stdout);
        else if (s[i] == '-' && minus)
            fputs("\\-", stdout);
        else
            putchar(s[i]);
    }
}

static int word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* A help text as troff: option names in bold, the option's own metavar words in italics, a final period. */
static void troff_help(const char *help, const struct words *mv)
{
    if (help[0] == '.' || help[0] == '\'')
        fputs("\\&", stdout);
    const char *p = help;
    while (*p) {
        int at_start = p == help || !word_char(p[-1]);
        if (at_start && p[0] == '-' && p[1] == '-') {
            size_t len = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
            while (len > 2 && p[len - 1] == '-')
                len--;
            int known = is_option(p, len);
            fputs(known ? "\\fB" : "", stdout);
            troff_escaped(p, len, 1);
            fputs(known ? "\\fR" : "", stdout);
            p += len;
            continue;
        }
        if (at_start && word_char(*p)) {
            size_t len = 0;
            while (word_char(p[len]))
                len++;
            int meta = 0;
            for (size_t k = 0; k < mv->n; k++)
                meta |= mv->len[k] == len && memcmp(mv->w[k], p, len) == 0;
            fputs(meta ? "\\fI" : "", stdout);
            troff_escaped(p, len, 0);
            fputs(meta ? "\\fR" : "", stdout);
            p += len;
            continue;
        }
        troff_escaped(p, 1, 0);
        p++;
    }
    size_t n = strlen(help);
    if (n && help[n - 1] != '.')
        putchar('.');
    putchar('\n');
}

static void gen_man_options(void)
{
    struct option_doc buf;
    const struct option_doc *d;
    const char *group = NULL;
    for (size_t i = 0; (d = options_doc(i, &buf)); i++) {
        struct words mv;
        split_metavar(d, &mv);
        if (!group || strcmp(group, d->group) != 0) {
            group = d->group;
            fputs(".SS ", stdout);
            troff_escaped(group, strlen(group), 0);
            putchar('\n');
        }
        fputs(".TP\n\\fB", stdout);
        troff_escaped(d->name, strlen(d->name), 1);
        fputs("\\fR", stdout);
        for (size_t k = 0; k < mv.n; k++) {
            fputs(" \\fI", stdout);
            troff_escaped(mv.w[k], mv.len[k], 1);
            fputs("\\fR", stdout);
        }
        putchar('\n');
        troff_help(d->help, &mv);
    }
}

/* ---- capability names: what libcap calls them, upper case, as --cap-add takes them ---- */

static size_t cap_names(char names[][64], size_t max)
{
    size_t n = 0;
    for (cap_value_t c = 0; c <= CAP_LAST_CAP && n < max; c++) {
        char *s = cap_to_name(c);
        if (!s)
            continue;
        if (strncmp(s, "cap_", 4) == 0 && strlen(s) < 64) {
            for (size_t k = 0; s[k]; k++)
                names[n][k] = (char)(s[k] >= 'a' && s[k] <= 'z' ? s[k] - 'a' + 'A' : s[k]);
            names[n][strlen(s)] = '\0';
            n++;
        }
        cap_free(s);
    }
    if (n == 0)
        fail("libcap named no capability");
    return n;
}

#define MAX_CAPS 64

/* Wraps a list of words into lines of at most width columns: first starts the first line, indent the
 * others, sep goes between words and cont ends a line that the next one continues. */
static void wrapped_from(const char *const *w, size_t n, const char *first, const char *indent,
                         const char *sep, const char *cont, size_t width)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(w[i]);
        if (col == 0) {
            fputs(first, stdout);
            col = strlen(first);
        } else if (col + strlen(sep) + len + strlen(cont) > width) {
            /* the separator stays, less its trailing blanks: "a |" then "b" */
            size_t keep = strlen(sep);
            while (keep > 0 && sep[keep - 1] == ' ')
                keep--;
            fwrite(sep, 1, keep, stdout);
            fputs(cont, stdout);
            putchar('\n');
            fputs(indent, stdout);
            col = strlen(indent);
        } else {
            fputs(sep, stdout);
            col += strlen(sep);
        }
        fputs(w[i], stdout);
        col += len;
    }
}

static void wrapped(const char *const *w, size_t n, const char *indent, const char *sep, const char *cont,
                    size_t width)
{
    wrapped_from(w, n, indent, indent, sep, cont, width);
}

static void shell_caps(const char *indent, const char *sep, const char *cont)
{
    static char names[MAX_CAPS][64];
    size_t n = cap_names(names, MAX_CAPS);
    const char *w[MAX_CAPS + 1] = {"ALL"};
    for (size_t i = 0; i < n; i++)
        w[i + 1] = names[i];
    wrapped(w, n + 1, indent, sep, cont, 100);
}

/* The distinct kind lists ("file file", "fd", ""...) in table order, with the options of each. */
struct kind_group {
    char kinds[64];
    const char *names[256];
    size_t n;
};

static size_t kind_groups(struct kind_group *groups, size_t max)
{
    struct option_doc buf;
    const struct option_doc *d;
    size_t ng = 0;
    for (size_t i = 0; (d = options_doc(i, &buf)); i++) {
        struct words mv;
        split_metavar(d, &mv);
        char kinds[64] = "";
        for (size_t k = 0; k < mv.n; k++) {
            if (k)
                buf_append(kinds, sizeof kinds, " ");
            buf_append(kinds, sizeof kinds, kind_names[mv.kind[k]]);
        }
        size_t g = 0;
        while (g < ng && strcmp(groups[g].kinds, kinds) != 0)
            g++;
        if (g == ng) {
            if (ng == max)
                fail("too many kinds of arguments");
            groups[ng] = (struct kind_group){0};
            snprintf(groups[ng].kinds, sizeof groups[ng].kinds, "%s", kinds);
            ng++;
        }
        if (groups[g].n == sizeof groups[g].names / sizeof groups[g].names[0])
            fail("too many options");
        groups[g].names[groups[g].n++] = d->name;
    }
    return ng;
}

/* ---- bash ---- */

static void gen_bash_options(void)
{
    struct option_doc buf;
    const struct option_doc *d;
    const char *names[512];
    size_t n = 0;
    for (size_t i = 0; (d = options_doc(i, &buf)); i++) {
        if (n == sizeof names / sizeof names[0])
            fail("too many options");
        names[n++] = d->name;
    }

    fputs("# Every option, in --help order.\n_sandbox_options='\n", stdout);
    wrapped(names, n, "    ", " ", "", 100);
    fputs("\n'\n\n# Capability names for --cap-add and --cap-drop (libcap's, for capabilities 0 to "
          "CAP_LAST_CAP).\n_sandbox_caps='\n",
          stdout);
    shell_caps("    ", " ", "");
    fputs("\n'\n\n", stdout);

    static struct kind_group groups[32];
    size_t ng = kind_groups(groups, 32);
    fputs(
        "# _sandbox_args OPTION: REPLY is what its arguments are, one word each (file, dir, fd, cap, var or\n"
        "# none); fails when OPTION is not one of ours.\n"
        "_sandbox_args()\n{\n    case $1 in\n",
        stdout);
    for (size_t g = 0; g < ng; g++) {
        wrapped(groups[g].names, groups[g].n, "    ", " | ", " \\", 100);
        printf(")\n        REPLY='%s'\n        ;;\n", groups[g].kinds);
    }
    fputs("    *)\n        return 1\n        ;;\n    esac\n}\n", stdout);
}

/* ---- zsh ---- */

static void zsh_quoted(const char *s, size_t len, int in_brackets)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'')
            fputs("'\\''", stdout);
        else if (in_brackets && (s[i] == '[' || s[i] == ']' || s[i] == '\\'))
            printf("\\%c", s[i]);
        else
            putchar(s[i]);
    }
}

static const char *const zsh_actions[] = {
    [K_NONE] = " ",          [K_FILE] = "_files",       [K_DIR] = "_files -/",
    [K_FD] = "_sandbox_fds", [K_CAP] = "_sandbox_caps", [K_VAR] = "_parameters -g \"*export*\"",
};

static void gen_zsh_options(void)
{
    struct option_doc buf;
    const struct option_doc *d;
    fputs("    local -a _sandbox_cap_names=(\n", stdout);
    shell_caps("        ", " ", "");
    fputs("\n    )\n    local -a _sandbox_specs=(\n", stdout);
    for (size_t i = 0; (d = options_doc(i, &buf)); i++) {
        struct words mv;
        split_metavar(d, &mv);
        /* every option may be given again, except those that end the run */
        int final = strcmp(d->name, "--help") == 0 || strcmp(d->name, "--version") == 0;
        printf("        '%s%s[", final ? "(- *)" : "*", d->name);
        zsh_quoted(d->help, strlen(d->help), 1);
        putchar(']');
        for (size_t k = 0; k < mv.n; k++) {
            putchar(':');
            zsh_quoted(mv.w[k], mv.len[k], 0);
            putchar(':');
            zsh_quoted(zsh_actions[mv.kind[k]], strlen(zsh_actions[mv.kind[k]]), 0);
        }
        fputs("'\n", stdout);
    }
    fputs("    )\n", stdout);
}

/* ---- fish ---- */

static void fish_quoted(const char *s)
{
    putchar('\'');
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            putchar('\\');
        putchar(*s);
    }
    putchar('\'');
}

static void gen_fish_options(void)
{
    struct option_doc buf;
    const struct option_doc *d;
    fputs("# Capability names for --cap-add and --cap-drop (libcap's, for capabilities 0 to CAP_LAST_CAP).\n"
          "function __sandbox_caps\n    printf '%s\\n' \\\n",
          stdout);
    shell_caps("        ", " ", " \\");
    fputs("\nend\n\n", stdout);

    static struct kind_group groups[32];
    size_t ng = kind_groups(groups, 32);
    fputs("# __sandbox_args OPTION: what its arguments are, one a line (file, dir, fd, cap, var or none);\n"
          "# fails when OPTION is not one of ours.\n"
          "function __sandbox_args\n    switch $argv[1]\n",
          stdout);
    for (size_t g = 0; g < ng; g++) {
        wrapped_from(groups[g].names, groups[g].n, "        case ", "            ", " ", " \\", 100);
        if (groups[g].kinds[0])
            printf("\n            printf '%%s\\n' %s\n", groups[g].kinds);
        else
            putchar('\n');
        fputs("            return 0\n", stdout);
    }
    fputs("    end\n    return 1\nend\n\n# The options, offered where an option may stand.\n", stdout);
    for (size_t i = 0; (d = options_doc(i, &buf)); i++) {
        const char *name = d->name;
        const char *flag = "-l";
        if (name[0] == '-' && name[1] == '-')
            name += 2;
        else if (name[0] == '-')
            name += 1, flag = "-o";
        printf("complete -c sandbox -n '__sandbox_is option' %s %s -d ", flag, name);
        fish_quoted(d->help);
        putchar('\n');
    }
}

/* ---- the template ---- */

static void gen_list(void)
{
    struct option_doc buf;
    const struct option_doc *d;
    for (size_t i = 0; (d = options_doc(i, &buf)); i++)
        puts(d->name);
}

static const struct {
    const char *line;
    void (*gen)(void);
} generators[] = {
    {"@@man-options@@", gen_man_options},
    {"@@bash-options@@", gen_bash_options},
    {"@@zsh-options@@", gen_zsh_options},
    {"@@fish-options@@", gen_fish_options},
};

static void date_of(const char *template, FILE *in, char *out, size_t size)
{
    time_t t;
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    if (epoch && *epoch && (t = (time_t)strtoll(epoch, &end, 10), *end == '\0')) {
        /* t is set */
    } else {
        struct stat st;
        if (fstat(fileno(in), &st) < 0)
            fail_errno("cannot stat", template);
        t = st.st_mtime;
    }
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%d", &tm) == 0)
        fail("bad date");
}

static void put_line(const char *line, const char *date)
{
    static const struct {
        const char *token;
        const char *value;
    } subst[] = {{"@VERSION@", PACKAGE_VERSION}, {"@DATE@", NULL}, {"@PKGLIBEXECDIR@", SBX_PKGLIBEXECDIR}};
    for (const char *p = line; *p;) {
        size_t k;
        for (k = 0; k < sizeof subst / sizeof subst[0]; k++)
            if (strncmp(p, subst[k].token, strlen(subst[k].token)) == 0)
                break;
        if (k < sizeof subst / sizeof subst[0]) {
            fputs(subst[k].value ? subst[k].value : date, stdout);
            p += strlen(subst[k].token);
        } else {
            putchar(*p++);
        }
    }
}

static void fill(const char *template)
{
    FILE *in = fopen(template, "r");
    if (!in)
        fail_errno("cannot open", template);
    char date[32];
    date_of(template, in, date, sizeof date);
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n')
            fail("line too long in template");
        char bare[4096];
        memcpy(bare, line, len + 1);
        if (len && bare[len - 1] == '\n')
            bare[len - 1] = '\0';
        size_t g;
        for (g = 0; g < sizeof generators / sizeof generators[0]; g++)
            if (strcmp(bare, generators[g].line) == 0)
                break;
        if (g < sizeof generators / sizeof generators[0])
            generators[g].gen();
        else if (strncmp(bare, "@@", 2) == 0)
            fail("unknown placeholder in template");
        else
            put_line(line, date);
    }
    if (ferror(in))
        fail_errno("cannot read", template);
    fclose(in);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TEMPLATE | --list\n", progname);
        return 2;
    }
    if (strcmp(argv[1], "--list") == 0)
        gen_list();
    else
        fill(argv[1]);
    if (fflush(stdout) != 0 || ferror(stdout))
        fail("write error");
    return 0;
}
