/* net.h: the network namespace's loopback. */
#pragma once

void net_loopback_up(void);
