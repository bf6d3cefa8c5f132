package downstream

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/prometheus/procfs"

	"github.com/loadcheck/loadcheck/internal/proc"
)

// tcpEstablished is the state of an established connection in
// /proc/net/tcp.
const tcpEstablished = 1

// socket is one line of /proc/net/tcp or tcp6.
type socket struct {
	local, remote netip.AddrPort
	state         uint64
	inode         uint64
}

// Conns returns how many ESTABLISHED TCP connections each of pids holds to
// addr, over IPv4 or IPv6 (an IPv4 address matches its v4-mapped IPv6
// form). It matches the socket inodes in /proc/<pid>/fd against
// /proc/<pid>/net/tcp and tcp6, the tables of the process's own network
// namespace. A pid that has exited is left out; one whose files cannot be
// read (another user's, without privilege) is an error.
func Conns(pids []int, addr netip.AddrPort) (map[int]int, error) {
	addr = unmap(addr)
	tables := map[string]map[uint64]bool{} // by network namespace: inodes to addr
	out := map[int]int{}
	for _, pid := range pids {
		inodes, err := socketInodes(pid)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
		toAddr, ok := tables[ns]
		if !ok || ns == "" {
			socks, err := tcpSockets(fmt.Sprintf("/proc/%d", pid))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return nil, err
			}
			toAddr = map[uint64]bool{}
			for _, s := range socks {
				if s.state == tcpEstablished && s.remote == addr {
					toAddr[s.inode] = true
				}
			}
			tables[ns] = toAddr
		}
		n := 0
		for _, ino := range inodes {
			if toAddr[ino] {
				n++
			}
		}
		out[pid] = n
	}
	return out, nil
}

// socketInodes returns the inodes of the sockets pid has open.
func socketInodes(pid int) ([]uint64, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return nil, err
	}
	targets, err := p.FileDescriptorTargets()
	if err != nil {
		return nil, fmt.Errorf("read the files of process %d: %w", pid, err)
	}
	var out []uint64
	for _, t := range targets {
		if s, ok := strings.CutPrefix(t, "socket:["); ok {
			if ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				out = append(out, ino)
			}
		}
	}
	return out, nil
}

// tcpSockets reads the TCP tables net/tcp and net/tcp6 under root, /proc
// or /proc/<pid>. A missing tcp6 (IPv6 disabled) is no error.
func tcpSockets(root string) ([]socket, error) {
	pfs, err := procfs.NewFS(root)
	if err != nil {
		return nil, err
	}
	// NetTCP is deprecated in favour of netlink sock_diag, which would
	// add a dependency and a second way of reading sockets; the tables are
	// what /proc/<pid>/fd's inodes are matched against.
	//lint:ignore SA1019 see above
	v4, err := pfs.NetTCP()
	if err != nil {
		return nil, fmt.Errorf("read %s/net/tcp: %w", root, err)
	}
	//lint:ignore SA1019 see above
	v6, err := pfs.NetTCP6()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s/net/tcp6: %w", root, err)
	}
	out := make([]socket, 0, len(v4)+len(v6))
	for _, l := range append(v4, v6...) {
		la, _ := netip.AddrFromSlice(l.LocalAddr)
		ra, _ := netip.AddrFromSlice(l.RemAddr)
		out = append(out, socket{
			local:  unmap(netip.AddrPortFrom(la, uint16(l.LocalPort))),
			remote: unmap(netip.AddrPortFrom(ra, uint16(l.RemPort))),
			state:  l.St,
			inode:  l.Inode,
		})
	}
	return out, nil
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// owner returns the pid of the process holding the client end of a TCP
// connection from client to server, both as the server sees them; 0 when
// none is found (the client has closed it, or lives in another network
// namespace). When several processes share the socket (inherited across
// fork), it is the one of lowest pid.
func owner(client, server netip.AddrPort) (int, error) {
	client, server = unmap(client), unmap(server)
	socks, err := tcpSockets("/proc")
	if err != nil {
		return 0, err
	}
	var inode uint64
	for _, s := range socks {
		if s.local == client && s.remote == server && s.inode != 0 {
			inode = s.inode
			break
		}
	}
	if inode == 0 {
		return 0, nil
	}
	pfs, err := proc.Default()
	if err != nil {
		return 0, err
	}
	procs, err := pfs.List()
	if err != nil {
		return 0, err
	}
	for _, p := range procs { // in pid order
		inodes, err := socketInodes(p.PID)
		if err != nil {
			continue
		}
		for _, ino := range inodes {
			if ino == inode {
				return p.PID, nil
			}
		}
	}
	return 0, nil
}
