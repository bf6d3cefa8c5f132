package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/loadcheck/loadcheck/internal/sim"
)

func newSimCmd(stderr io.Writer) *cobra.Command {
	o := sim.Defaults()
	c := &cobra.Command{
		Use:   "sim",
		Short: "Serve the built-in target: N worker processes modelling uvicorn",
		Long: `Serve the built-in target: N real worker processes accepting on one shared
socket, each with a lock modelling the GIL and its own boards, SSE poller and
cache, as uvicorn --workers N arranges them. Handler costs are flags, so a
test knows the truth it must measure. Stops on SIGTERM or Ctrl-C.`,
		Example: `  loadcheck sim --workers 2 --listen 127.0.0.1:8765 --search-cpu 20ms`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(c *cobra.Command, _ []string) error {
			if err := sim.CheckWorkers(o.Workers); err != nil {
				return usageError{err}
			}
			o.Log = stderr
			return sim.Run(c.Context(), o)
		},
	}
	o.Flags(c.Flags())
	return c
}
