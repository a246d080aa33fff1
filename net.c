/* net.c: bringing up lo in a fresh network namespace. Setting IFF_UP is enough: the kernel gives lo its
 * 127.0.0.1/8 and ::1 when it comes up (net/ipv4/devinet.c, inetdev_event), so no netlink is needed. */
#include "net.h"

#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "utils.h"

void net_loopback_up(void)
{
    cleanup_fd int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die_errno("Loopback: socket");
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        die_errno("Loopback: failed to get flags of lo");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        die_errno("Loopback: failed to bring up lo");
}
