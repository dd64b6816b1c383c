/*
 * mira/param.h - runtime parameters: key=value settings given at boot.
 *
 * On unix they are the program's "--key=value" arguments; on xen they are
 * the "key=value" words of the kernel command line (extra= in the .xl).
 * Keys of a device's parameters are "<device>-<key>" ("block0-file",
 * "stack0-ipv4"), so two devices of one kind never clash.
 *
 * Every parameter the runtime or a driver reads is declared, once, with
 * MIRA_PARAM_DECLARE at file scope in the file that reads it.  The
 * declarations land in one linker section ("mira_params") that the runtime
 * reads at start: on unix "--help" lists them, with their defaults, and a
 * given key that no declaration matches stops the unikernel at start
 * ("unknown parameter --foo (see --help)", exit status 2); on xen, whose
 * command line may also carry words for Xen or the toolstack, it is a
 * warning.  A declared key that was given but never read (a device the app
 * does not have) is a warning when the unikernel ends.
 *
 * Device parameters are declared once per driver with a wildcard device:
 * the key "*-file" matches "block0-file", "kv0-block-file" and any other
 * "<device>-file" (a non-empty device name followed by "-file"); --help
 * shows it as "<device>-file".
 */
#ifndef MIRA_PARAM_H
#define MIRA_PARAM_H

/* A parameter's declaration: its key ("log-level", or "*-file" for every
 * device's "file"), its default as text (NULL: none) and one line of help.
 * The strings must live as long as the unikernel (literals). */
struct mira_param_decl {
    const char *key;
    const char *dflt;
    const char *help;
};

/* MIRA_PARAM_DECLARE: declares a parameter; id is a C identifier unique in
 * the file.  Used at file scope, e.g.
 *   MIRA_PARAM_DECLARE(file, "*-file", "disk.img", "the disk image");
 * The section holds pointers (8 bytes, naturally aligned), not the structs,
 * so the compiler's padding of larger objects cannot break the array. */
#define MIRA_PARAM_DECLARE(id, key_, dflt_, help_)                            \
    static const struct mira_param_decl mira_param_decl_##id = {             \
        (key_), (dflt_), (help_) };                                          \
    static const struct mira_param_decl *const mira_param_declp_##id         \
        __attribute__((section("mira_params"), used)) =                      \
            &mira_param_decl_##id

/* mira_param: the value of key, or its default if it was not given: the
 * default of a declaration of this very key (not a "*-" wildcard) when one
 * has a default, else dflt.  (The build bakes values in that way: the
 * generated main.c declares "kv0-block-file" with the path of the image it
 * built.)  A key given without "=value" has the value "".  Key is a full
 * key ("block0-file"). */
const char *mira_param(const char *key, const char *dflt);

#endif
