package vision_test

import (
	"strings"
	"testing"

	"github.com/zoo-nn/zoo/vision"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*vision.Config)
		want []string // substrings of the error; none = valid
	}{
		{"resnet20 is valid", func(*vision.Config) {}, nil},
		{"depth not 6n+2", func(c *vision.Config) { c.Depth = 21 }, []string{"depth = 21", "6n+2", "8, 14, 20, 26", "20, 32, 44, 56, 110"}},
		{"depth too small", func(c *vision.Config) { c.Depth = 2 }, []string{"depth = 2", "6n+2 with n >= 1"}},
		{"depth too large", func(c *vision.Config) { c.Depth = 6002 }, []string{"depth = 6002", "at most 2000"}},
		{"bottleneck depth not 9n+2", func(c *vision.Config) {
			c.Arch, c.Block, c.Depth = vision.ArchPreResNet, vision.BlockBottleneck, 32
		}, []string{"depth = 32", "bottleneck blocks need depth = 9n+2", "11, 20, 29, 38", "164"}},
		{"bottleneck 164 is valid", func(c *vision.Config) {
			c.Arch, c.Block, c.Depth = vision.ArchPreResNet, vision.BlockBottleneck, 164
		}, nil},
		{"unknown arch", func(c *vision.Config) { c.Arch = "wideresnet" }, []string{`arch = "wideresnet"`, `"resnet" or "preresnet"`}},
		{"unknown block", func(c *vision.Config) { c.Block = "basik" }, []string{`block = "basik"`, `"basic" or "bottleneck"`}},
		{"bottleneck needs preresnet", func(c *vision.Config) { c.Block, c.Depth = vision.BlockBottleneck, 164 }, []string{`block = "bottleneck" needs arch = "preresnet"`}},
		{"unknown shortcut", func(c *vision.Config) { c.Shortcut = "C" }, []string{`shortcut = "C"`, `"A"`, `"B"`}},
		{"lowercase shortcut", func(c *vision.Config) { c.Shortcut = "a" }, []string{`shortcut = "a"`}},
		{"width", func(c *vision.Config) { c.Width = 0 }, []string{"width = 0", "positive"}},
		{"in_channels", func(c *vision.Config) { c.InChannels = 0 }, []string{"in_channels = 0", "from the data"}},
		{"classes", func(c *vision.Config) { c.Classes = -1 }, []string{"classes = -1", "from the data"}},
		{"unknown residual", func(c *vision.Config) { c.Residual = "preln" }, []string{"residual:", `unknown residual variant "preln"`, `did you mean "pre-ln"`, "known: plain, post-ln, pre-ln, rskip-ln, scaled, scaled-ln"}},
		{"no residual", func(c *vision.Config) { c.Residual = "" }, []string{"residual:", "known: plain"}},
		{"bad residual param", func(c *vision.Config) {
			c.Residual, c.ResidualParams = "rskip-ln", map[string]any{"order": 0}
		}, []string{"residual:", "parameter order"}},
		{"every problem at once", func(c *vision.Config) { c.Width, c.Shortcut, c.Depth = -1, "", 7 }, []string{"width = -1", `shortcut = ""`, "depth = 7"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := vision.Preset("resnet20", 3, 10)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&c)
			err = c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			// New refuses what Validate refuses.
			if _, nerr := vision.New(nil, c); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("New: %v, want Validate's error", nerr)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	want := "preresnet110 preresnet164 resnet110 resnet20 resnet32 resnet44 resnet56"
	if got := strings.Join(vision.PresetNames(), " "); got != want {
		t.Fatalf("presets %q, want %q", got, want)
	}
	for _, name := range vision.PresetNames() {
		c, err := vision.Preset(name, 3, 10)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if c.Width != 16 || c.Residual != "plain" {
			t.Errorf("%s: width %d residual %q, want 16 and plain", name, c.Width, c.Residual)
		}
	}
	if p := vision.Presets["preresnet164"]; p.Block != vision.BlockBottleneck || p.Shortcut != vision.ShortcutB || p.Arch != vision.ArchPreResNet {
		t.Errorf("preresnet164: %+v", p)
	}
	if p := vision.Presets["resnet110"]; p.Block != vision.BlockBasic || p.Shortcut != vision.ShortcutA || p.Arch != vision.ArchResNet {
		t.Errorf("resnet110: %+v", p)
	}
	if _, err := vision.Preset("resnet18", 3, 10); err == nil || !strings.Contains(err.Error(), `unknown vision preset "resnet18"`) ||
		!strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "known: preresnet110") {
		t.Errorf("unknown preset: %v", err)
	}
	c, _ := vision.Preset("resnet20", 3, 10)
	c.ResidualParams = map[string]any{"x": 1}
	if vision.Presets["resnet20"].ResidualParams != nil {
		t.Error("Preset returned the shared map")
	}
}
