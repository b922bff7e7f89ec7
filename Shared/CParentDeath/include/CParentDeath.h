#ifndef C_PARENT_DEATH_H
#define C_PARENT_DEATH_H

/// Asks Linux to send `signal` to this process when its parent dies (prctl PR_SET_PDEATHSIG),
/// a setting that survives execve. Returns 0, or -1 with errno set. Swift cannot call the
/// variadic prctl itself.
int governance_set_parent_death_signal(int signal);

#endif
