package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/zoo-nn/zoo/torch"
)

func init() { addCommand(newVersionCmd) }

// Version is zoo's release and Commit the git commit it was built from;
// the Makefile sets Commit with -ldflags "-X main.Commit=...", and builds
// without it fall back to the VCS stamp Go records (when it has one).
var (
	Version = "0.1.0-dev"
	Commit  = ""
)

// versionInfo is what `zoo version` reports.
type versionInfo struct {
	Zoo    string `json:"zoo"`
	Commit string `json:"commit,omitempty"`
	Go     string `json:"go"`
	torch.Info
}

func currentVersion() versionInfo {
	v := versionInfo{Zoo: Version, Commit: Commit, Go: runtime.Version(), Info: torch.Describe()}
	if bi, ok := debug.ReadBuildInfo(); ok && v.Commit == "" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v.Commit = s.Value
			}
		}
	}
	return v
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print zoo's and libtorch's versions, the device and the thread settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := currentVersion()
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			commit := v.Commit
			if commit == "" {
				commit = "unknown"
			}
			blas := fmt.Sprint(v.OpenBLASThreads)
			if v.OpenBLASThreads < 0 {
				blas = "not loaded (BLAS is not OpenBLAS)"
			}
			_, err := fmt.Fprintf(w, "zoo %s (commit %s, %s)\nlibtorch %s\ndevice %s\nthreads: intra-op %d, inter-op %d, OpenBLAS %s (%d CPUs)\n",
				v.Zoo, commit, v.Go, v.LibtorchVersion, v.Device, v.IntraOpThreads, v.InteropThreads, blas, v.CPUs)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
