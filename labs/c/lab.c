/*
 * lab.c - the shared part of the C labs: argument parsing, error reporting and output.
 * What each function does is described in lab.h. You do not need to change this file.
 */

/* The key of a segment is the field shm_perm.__key; the C library names it that way only
 * with _GNU_SOURCE (glibc always, musl only then). */
#define _GNU_SOURCE
#include "lab.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>

/* ---------------------------------------------------------------------------------------
 * Failures
 * ------------------------------------------------------------------------------------- */

void lab_fail(const char *call)
{
    int err = errno; /* fflush may change errno: keep the one the call set */
    fflush(stdout);  /* what was printed on stdout so far still goes out */
    fprintf(stderr, "%s: %s\n", call, strerror(err));
    exit(LAB_EXIT_FAILURE);
}

void lab_fail_with(const char *what, const char *reason)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", what, reason);
    exit(LAB_EXIT_FAILURE);
}

void lab_not_implemented(const char *what)
{
    fflush(stdout);
    fprintf(stderr, "not implemented: %s\n", what);
    exit(LAB_EXIT_NOT_IMPLEMENTED);
}

/* ---------------------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------------------- */

/* Sends what is buffered to stdout now, so that a write error is noticed and reported as a
 * failure (exit status 1) instead of being lost at exit. */
static void flush_stdout(void)
{
    if (fflush(stdout) == EOF)
        lab_fail("stdout");
}

void lab_print_id(int id)
{
    printf("%d\n", id);
    flush_stdout();
}

void lab_print_text(const char *bytes, size_t len)
{
    fwrite(bytes, 1, len, stdout);
    putchar('\n');
    flush_stdout();
}

void lab_print_stat(int id, const struct shmid_ds *ds)
{
    /* The casts give each field a type whose printf conversion is known everywhere: the
     * types of struct shmid_ds differ between C libraries and architectures. */
    printf("key: 0x%08x\n", (unsigned int)ds->shm_perm.__key);
    printf("shmid: %d\n", id);
    printf("size: %ju\n", (uintmax_t)ds->shm_segsz);
    /* Only the nine permission bits: the mode word also holds SHM_DEST (01000) and
     * SHM_LOCKED (02000). */
    printf("mode: %04o\n", (unsigned int)(ds->shm_perm.mode & 0777));
    printf("uid: %ju\n", (uintmax_t)ds->shm_perm.uid);
    printf("gid: %ju\n", (uintmax_t)ds->shm_perm.gid);
    printf("cuid: %ju\n", (uintmax_t)ds->shm_perm.cuid);
    printf("cgid: %ju\n", (uintmax_t)ds->shm_perm.cgid);
    printf("cpid: %jd\n", (intmax_t)ds->shm_cpid);
    printf("lpid: %jd\n", (intmax_t)ds->shm_lpid);
    printf("nattch: %ju\n", (uintmax_t)ds->shm_nattch);
    printf("atime: %jd\n", (intmax_t)ds->shm_atime);
    printf("dtime: %jd\n", (intmax_t)ds->shm_dtime);
    printf("ctime: %jd\n", (intmax_t)ds->shm_ctime);
    flush_stdout();
}

void lab_print_memo_text(const char *text, size_t len)
{
    if (text == NULL) {
        lab_print_line("new segment: no text yet");
        return;
    }
    fputs("text: ", stdout);
    lab_print_text(text, len);
}

void lab_print_line(const char *line)
{
    printf("%s\n", line);
    flush_stdout();
}

void lab_print_share_text(const char *text, size_t len)
{
    fputs("child wrote: ", stdout);
    lab_print_text(text, len);
}

/* ---------------------------------------------------------------------------------------
 * Lab memo: the questions
 * ------------------------------------------------------------------------------------- */

/* Set once stdin has ended (or failed): every later read reports end of input at once. */
static bool input_ended = false;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Reads one line of stdin into `buf`: at most size - 1 bytes and a NUL, without the newline
 * (nor a '\r' just before it, when the whole line fit). The rest of a longer line is read and
 * dropped: *truncated says whether anything was, *dropped_text whether any of it was not
 * whitespace. A last line without a newline is still a line. Returns the number of bytes
 * stored, or -1 at end of input. */
static long read_line(char *buf, size_t size, bool *truncated, bool *dropped_text)
{
    size_t len = 0;
    bool any = false;
    int c = EOF;

    *truncated = false;
    *dropped_text = false;
    buf[0] = '\0';
    if (input_ended)
        return -1;
    while ((c = getchar()) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (len + 1 < size)
            buf[len++] = (char)c;
        else {
            *truncated = true;
            if (!is_blank((char)c))
                *dropped_text = true;
        }
    }
    if (c == EOF) {
        input_ended = true;
        if (!any)
            return -1;
    }
    if (!*truncated && len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    return (long)len;
}

/* Writes `text` and flushes, so that a prompt shows before the program waits for input. */
static void say(const char *text)
{
    fputs(text, stdout);
    flush_stdout();
}

bool lab_ask_yes_no(const char *question)
{
    for (;;) {
        char answer[64];
        bool truncated, dropped_text;
        say(question);
        long len = read_line(answer, sizeof answer, &truncated, &dropped_text);
        if (len == -1)
            return false; /* end of input counts as "n" */
        const char *start = answer;
        const char *end = answer + len;
        while (start < end && is_blank(*start))
            start++;
        while (end > start && is_blank(end[-1]))
            end--;
        if (!dropped_text && end - start == 1 && (*start == 'y' || *start == 'n'))
            return *start == 'y';
        say("please answer y or n\n");
    }
}

long lab_ask_line(const char *prompt, char *buf, size_t size)
{
    bool truncated, dropped_text;
    say(prompt);
    return read_line(buf, size, &truncated, &dropped_text);
}

/* ---------------------------------------------------------------------------------------
 * Done for you in the attach and detach labs
 * ------------------------------------------------------------------------------------- */

size_t lab_segment_size(int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) == -1)
        lab_fail("shmctl");
    return (size_t)ds.shm_segsz;
}

/* ---------------------------------------------------------------------------------------
 * Argument parsing
 *
 * Every lab's command line is some positional arguments (KEY, and SIZE for create) and some
 * options. A lab describes its options in a table of `struct option_spec`; scan() sorts
 * argv into positionals and option values, and the lab_parse_* functions convert them.
 * ------------------------------------------------------------------------------------- */

/* The most options any lab takes (set: --mode, --uid, --gid). */
#define MAX_OPTIONS 3
/* The most positional arguments any lab takes (create: KEY SIZE; share: KEY TEXT). */
#define MAX_POSITIONALS 2

struct option_spec {
    const char *name;  /* "--mode" */
    bool takes_value;  /* --mode OCTAL takes a value; --exclusive does not */
    bool required;     /* set's --mode must be given */
};

struct command_spec {
    const char *lab;                     /* "create" */
    const char *usage;                   /* "create KEY SIZE [--mode OCTAL] [--exclusive]" */
    const char *positionals[MAX_POSITIONALS]; /* {"KEY", "SIZE"} */
    int npositionals;
    struct option_spec options[MAX_OPTIONS];
    int noptions;
};

/* What scan() found. */
struct scanned {
    const char *positionals[MAX_POSITIONALS];
    bool given[MAX_OPTIONS];         /* given[i]: options[i] was on the command line */
    const char *values[MAX_OPTIONS]; /* its value, for an option that takes one */
};

/* Bad usage: one line on stderr naming what is wrong and the lab's usage, then exit 2.
 *     create: missing SIZE (usage: create KEY SIZE [--mode OCTAL] [--exclusive]) */
LAB_NORETURN static void usage_error(const struct command_spec *spec, const char *format, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", spec->lab);
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", spec->usage);
    exit(LAB_EXIT_USAGE);
}

/* Sorts argv into positionals and options. Anything starting with "--" is an option (after a
 * lone "--", nothing is); an option's value is the next argument, or follows "=". */
static struct scanned scan(const struct command_spec *spec, int argc, char **argv)
{
    struct scanned found = {{NULL}, {false}, {NULL}};
    int npositionals = 0;
    bool only_positionals = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positionals || strncmp(arg, "--", 2) != 0) {
            if (npositionals == spec->npositionals)
                usage_error(spec, "unexpected argument '%s'", arg);
            found.positionals[npositionals++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positionals = true;
            continue;
        }
        /* "--mode=600": the name is what comes before '=', the value what follows it. */
        const char *equals = strchr(arg, '=');
        size_t name_len = equals ? (size_t)(equals - arg) : strlen(arg);
        int o = 0;
        while (o < spec->noptions
               && !(strlen(spec->options[o].name) == name_len
                    && strncmp(spec->options[o].name, arg, name_len) == 0))
            o++;
        if (o == spec->noptions)
            usage_error(spec, "unknown option '%.*s'", (int)name_len, arg);
        const struct option_spec *opt = &spec->options[o];
        if (found.given[o])
            usage_error(spec, "%s given twice", opt->name);
        found.given[o] = true;
        if (!opt->takes_value) {
            if (equals)
                usage_error(spec, "%s takes no value", opt->name);
        } else if (equals) {
            found.values[o] = equals + 1;
        } else if (i + 1 < argc) {
            found.values[o] = argv[++i];
        } else {
            usage_error(spec, "%s needs a value", opt->name);
        }
    }
    if (npositionals < spec->npositionals)
        usage_error(spec, "missing %s", spec->positionals[npositionals]);
    for (int o = 0; o < spec->noptions; o++)
        if (spec->options[o].required && !found.given[o])
            usage_error(spec, "%s is required", spec->options[o].name);
    return found;
}

/* Whether s is one or more characters, all of them digits in base 8 or 10. */
static bool all_digits(const char *s, int base)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > (base == 8 ? '7' : '9'))
            return false;
    return true;
}

/* KEY, read like strtol(s, NULL, 0): decimal (4660), 0x hexadecimal (0x1234) or 0 octal
 * (011064), with an optional sign. Unlike strtol, white space before the number and anything
 * after it are errors. Values up to 0xffffffff are accepted and wrap to key_t (32 bits), as
 * they do in C. 0 is refused: it is IPC_PRIVATE, not a name (docs/labs/README.md). */
static key_t parse_key(const struct command_spec *spec, const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (end == s || isspace((unsigned char)*s) || *end != '\0' || errno == ERANGE ||
        v > 0xffffffffLL || v < INT32_MIN)
        usage_error(spec, "invalid key '%s': expected a number: decimal, 0x hexadecimal or "
                          "0 octal, that fits in 32 bits", s);
    if (v == 0)
        usage_error(spec, "invalid key '%s': 0 is IPC_PRIVATE, a new segment every time that "
                          "no other program can find by its key: give a non-zero key", s);
    return (key_t)(int32_t)(uint32_t)v;
}

/* A non-negative decimal number, at most `max` (a size, a uid or a gid). */
static uintmax_t parse_decimal(const struct command_spec *spec, const char *s, const char *what,
                               uintmax_t max)
{
    if (!all_digits(s, 10))
        usage_error(spec, "invalid %s '%s': expected a non-negative decimal number", what, s);
    errno = 0;
    uintmax_t v = strtoumax(s, NULL, 10);
    if (errno == ERANGE || v > max)
        usage_error(spec, "invalid %s '%s': too large", what, s);
    return v;
}

/* --mode OCTAL: octal digits (644, 0600), read in base 8 like strtol(s, NULL, 8), at most
 * 0777: only the nine permission bits may be given. */
static int parse_mode(const struct command_spec *spec, const char *s)
{
    if (!all_digits(s, 8))
        usage_error(spec, "invalid mode '%s': expected octal digits, like 644 or 0600", s);
    errno = 0;
    unsigned long v = strtoul(s, NULL, 8);
    if (errno == ERANGE || v > 0777)
        usage_error(spec, "invalid mode '%s': only the nine permission bits (at most 0777) "
                          "are allowed", s);
    return (int)v;
}

struct lab_create_args lab_parse_create(int argc, char **argv)
{
    static const struct command_spec spec = {
        .lab = "create",
        .usage = "create KEY SIZE [--mode OCTAL] [--exclusive]",
        .positionals = {"KEY", "SIZE"},
        .npositionals = 2,
        .options = {{"--mode", true, false}, {"--exclusive", false, false}},
        .noptions = 2,
    };
    struct scanned found = scan(&spec, argc, argv);
    struct lab_create_args args;
    args.key = parse_key(&spec, found.positionals[0]);
    args.size = (size_t)parse_decimal(&spec, found.positionals[1], "size", SIZE_MAX);
    args.mode = found.given[0] ? parse_mode(&spec, found.values[0]) : LAB_DEFAULT_MODE;
    args.exclusive = found.given[1];
    return args;
}

struct lab_key_args lab_parse_key(const char *lab, int argc, char **argv)
{
    char usage[64];
    snprintf(usage, sizeof usage, "%s KEY", lab);
    const struct command_spec spec = {
        .lab = lab,
        .usage = usage,
        .positionals = {"KEY"},
        .npositionals = 1,
        .noptions = 0,
    };
    struct scanned found = scan(&spec, argc, argv);
    struct lab_key_args args;
    args.key = parse_key(&spec, found.positionals[0]);
    return args;
}

struct lab_attach_args lab_parse_attach(int argc, char **argv)
{
    static const struct command_spec spec = {
        .lab = "attach",
        .usage = "attach KEY [--write TEXT] [--readonly]",
        .positionals = {"KEY"},
        .npositionals = 1,
        .options = {{"--write", true, false}, {"--readonly", false, false}},
        .noptions = 2,
    };
    struct scanned found = scan(&spec, argc, argv);
    struct lab_attach_args args;
    args.key = parse_key(&spec, found.positionals[0]);
    args.text = found.given[0] ? found.values[0] : NULL;
    args.readonly = found.given[1];
    /* Writing through a SHM_RDONLY attachment could only crash (SIGSEGV). */
    if (args.text != NULL && args.readonly)
        usage_error(&spec, "--write needs a read-write attachment; drop --readonly");
    return args;
}

struct lab_set_args lab_parse_set(int argc, char **argv)
{
    static const struct command_spec spec = {
        .lab = "set",
        .usage = "set KEY --mode OCTAL [--uid UID] [--gid GID]",
        .positionals = {"KEY"},
        .npositionals = 1,
        .options = {{"--mode", true, true}, {"--uid", true, false}, {"--gid", true, false}},
        .noptions = 3,
    };
    struct scanned found = scan(&spec, argc, argv);
    struct lab_set_args args;
    args.key = parse_key(&spec, found.positionals[0]);
    args.mode = parse_mode(&spec, found.values[0]);
    args.has_uid = found.given[1];
    args.uid = args.has_uid ? (uid_t)parse_decimal(&spec, found.values[1], "uid", UINT32_MAX) : 0;
    args.has_gid = found.given[2];
    args.gid = args.has_gid ? (gid_t)parse_decimal(&spec, found.values[2], "gid", UINT32_MAX) : 0;
    return args;
}

struct lab_share_args lab_parse_share(int argc, char **argv)
{
    static const struct command_spec spec = {
        .lab = "share",
        .usage = "share KEY TEXT",
        .positionals = {"KEY", "TEXT"},
        .npositionals = 2,
        .noptions = 0,
    };
    struct scanned found = scan(&spec, argc, argv);
    struct lab_share_args args;
    args.key = parse_key(&spec, found.positionals[0]);
    args.text = found.positionals[1];
    args.len = strlen(args.text);
    if (args.len == 0)
        usage_error(&spec, "TEXT is empty: give the child something to write");
    if (args.len > LAB_SHARE_TEXT_MAX)
        usage_error(&spec, "TEXT is %zu bytes: at most %d fit in the segment with their NUL",
                    args.len, LAB_SHARE_TEXT_MAX);
    return args;
}
