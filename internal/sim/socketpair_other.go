//go:build !unix

package sim

import (
	"errors"
	"os"
	"runtime"
)

func socketpair() (parent, child *os.File, err error) {
	return nil, nil, errors.New("sim: worker processes need unix sockets, not available on " + runtime.GOOS)
}
