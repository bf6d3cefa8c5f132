package downstream

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"slices"
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
	by, err := connsTo(pids, []netip.AddrPort{addr})
	if err != nil {
		return nil, err
	}
	return by[unmap(addr)], nil
}

// connsTo is Conns for several addresses at once, reading each table and
// each process's files once: by address, then by pid.
func connsTo(pids []int, addrs []netip.AddrPort) (map[netip.AddrPort]map[int]int, error) {
	want := map[netip.AddrPort]bool{}
	out := map[netip.AddrPort]map[int]int{}
	for _, a := range addrs {
		want[unmap(a)] = true
		out[unmap(a)] = map[int]int{}
	}
	tables := map[string]map[uint64]netip.AddrPort{} // by network namespace: socket inode to address
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
			toAddr = map[uint64]netip.AddrPort{}
			for _, s := range socks {
				if s.state == tcpEstablished && want[s.remote] {
					toAddr[s.inode] = s.remote
				}
			}
			tables[ns] = toAddr
		}
		for a := range want {
			out[a][pid] = 0
		}
		for _, ino := range inodes {
			if a, ok := toAddr[ino]; ok {
				out[a][pid]++
			}
		}
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

// owners returns the pid of the process holding the client end of each
// TCP connection from one of clients to server, as the server sees them;
// a client whose process is not found (it has closed the connection, or
// lives in another network namespace) is left out. It looks among pids,
// or among every process when pids is nil. When several processes share a
// socket (inherited across fork), it is the one of lowest pid. One call
// reads the socket table once, however many clients it resolves.
func owners(clients []netip.AddrPort, server netip.AddrPort, pids []int) (map[netip.AddrPort]int, error) {
	server = unmap(server)
	want := map[netip.AddrPort]bool{}
	for _, c := range clients {
		want[unmap(c)] = true
	}
	socks, err := tcpSockets("/proc")
	if err != nil {
		return nil, err
	}
	clientOf := map[uint64]netip.AddrPort{}
	for _, s := range socks {
		if want[s.local] && s.remote == server && s.inode != 0 {
			clientOf[s.inode] = s.local
		}
	}
	out := map[netip.AddrPort]int{}
	if len(clientOf) == 0 {
		return out, nil
	}
	if pids == nil {
		if pids, err = allPIDs(); err != nil {
			return nil, err
		}
	}
	for _, pid := range slices.Sorted(slices.Values(pids)) {
		inodes, err := socketInodes(pid)
		if err != nil {
			continue // exited, or not ours to read
		}
		for _, ino := range inodes {
			if c, ok := clientOf[ino]; ok {
				if _, seen := out[c]; !seen {
					out[c] = pid
				}
			}
		}
		if len(out) == len(clientOf) {
			break
		}
	}
	return out, nil
}

func allPIDs() ([]int, error) {
	pfs, err := proc.Default()
	if err != nil {
		return nil, err
	}
	procs, err := pfs.List()
	if err != nil {
		return nil, err
	}
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.PID
	}
	return pids, nil
}
