#include "CParentDeath.h"

#include <sys/prctl.h>

int governance_set_parent_death_signal(int signal) {
  return prctl(PR_SET_PDEATHSIG, signal);
}
