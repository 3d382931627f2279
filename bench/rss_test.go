package bench

import (
	"strings"
	"testing"
)

const statusSample = `Name:	zoo
Umask:	0022
State:	R (running)
VmPeak:	 5081364 kB
VmSize:	 5016340 kB
VmHWM:	 1234567 kB
VmRSS:	  987654 kB
RssAnon:	  900000 kB
Threads:	4
`

func TestParseStatus(t *testing.T) {
	got, err := ParseStatus(strings.NewReader(statusSample))
	if err != nil {
		t.Fatal(err)
	}
	if got != (RSS{RSSKB: 987654, HWMKB: 1234567}) {
		t.Errorf("ParseStatus = %+v", got)
	}
	for name, text := range map[string]string{
		"no lines":   "Name:\tzoo\n",
		"no HWM":     "VmRSS:\t 12 kB\n",
		"not kB":     "VmRSS:\t 12 MB\nVmHWM:\t 12 kB\n",
		"not number": "VmRSS:\t x kB\nVmHWM:\t 12 kB\n",
		"negative":   "VmRSS:\t -5 kB\nVmHWM:\t 12 kB\n",
	} {
		if _, err := ParseStatus(strings.NewReader(text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSelfRSS(t *testing.T) {
	r, err := SelfRSS()
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	if r.RSSKB <= 0 || r.HWMKB < r.RSSKB {
		t.Errorf("SelfRSS = %+v: want 0 < RSS <= HWM", r)
	}
	if MiB(2048) != "2" {
		t.Errorf("MiB(2048) = %q", MiB(2048))
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if m := Median(nil); m == m {
		t.Errorf("Median(nil) = %v, want NaN", m)
	}
}
