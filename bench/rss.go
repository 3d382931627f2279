package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// RSS is a process's resident memory, from /proc/<pid>/status.
type RSS struct {
	// RSSKB is VmRSS, the resident set now, in KiB.
	RSSKB int64 `json:"rss_kb"`
	// HWMKB is VmHWM, the peak resident set since the process started.
	HWMKB int64 `json:"hwm_kb"`
}

// ParseStatus reads VmRSS and VmHWM from the text of /proc/<pid>/status
// ("VmRSS:\t  123456 kB"). Either missing is an error.
func ParseStatus(r io.Reader) (RSS, error) {
	var out RSS
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return RSS{}, fmt.Errorf("status line %q: want \"%s: N kB\"", sc.Text(), key)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 {
			return RSS{}, fmt.Errorf("status line %q: %q is not a size", sc.Text(), fields[0])
		}
		if key == "VmRSS" {
			out.RSSKB = n
		} else {
			out.HWMKB = n
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return RSS{}, err
	}
	if found != 2 {
		return RSS{}, fmt.Errorf("status has no VmRSS and VmHWM lines (not Linux?)")
	}
	return out, nil
}

// SelfRSS reads this process's resident memory.
func SelfRSS() (RSS, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return RSS{}, err
	}
	defer f.Close()
	return ParseStatus(f)
}

// MiB formats a size in KiB as MiB.
func MiB(kb int64) string { return fmt.Sprintf("%.0f", float64(kb)/1024) }
