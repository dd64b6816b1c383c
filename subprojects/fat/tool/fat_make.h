/* fat_make.h - `mira-fat make`: a FAT image holding a host directory. */
#ifndef MIRA_FAT_TOOL_MAKE_H
#define MIRA_FAT_TOOL_MAKE_H

/* fat_make_main: runs `mira-fat make` on its arguments (after "make").
 * Returns the exit status: 0, 1 (one line on stderr), 2 (usage). */
int fat_make_main(int argc, char **argv);

#endif
