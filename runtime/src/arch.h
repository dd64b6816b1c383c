/* arch.h - what each CPU architecture provides to the scheduler. */
#ifndef MIRA_ARCH_H
#define MIRA_ARCH_H

/* Saves the running context's stack pointer in *save_sp and resumes the
 * context whose stack pointer is load_sp. */
void mira_arch_switch(void **save_sp, void *load_sp);

/* Prepares a stack whose highest address is top so that switching to the
 * returned stack pointer calls entry(arg).  entry must never return. */
void *mira_arch_stack_init(void *top, void (*entry)(void *), void *arg);

#endif
