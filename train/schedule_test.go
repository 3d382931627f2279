package train

import (
	"math"
	"strings"
	"testing"
)

func TestSchedules(t *testing.T) {
	inv := InverseSqrt{PeakLR: 1e-3, Warmup: 4000, InitLR: 1e-7}
	step := MultiStep{BaseLR: 0.1, Gamma: 0.1, Milestones: []int64{32000, 48000}, WarmupLR: 0.01, Warmup: 400}
	cos := Cosine{BaseLR: 0.1, MinLR: 0, Total: 1000}
	one := OneCycle{InitLR: 0.01, PeakLR: 0.1, MinLR: 0, Warmup: 100, Total: 1100}
	cases := []struct {
		name   string
		s      Schedule
		update int64
		want   float64
	}{
		{"inverse_sqrt start", inv, 0, 1e-7},
		{"inverse_sqrt mid warm-up", inv, 2000, 1e-7 + (1e-3-1e-7)/2},
		{"inverse_sqrt peak", inv, 4000, 1e-3},
		{"inverse_sqrt 4x warm-up", inv, 16000, 5e-4},
		{"multistep warm-up", step, 400, 0.01},
		{"multistep base", step, 401, 0.1},
		{"multistep at first milestone", step, 32000, 0.1},
		{"multistep after first milestone", step, 32001, 0.01},
		{"multistep after second", step, 48001, 0.001},
		{"cosine start", cos, 0, 0.1},
		{"cosine half", cos, 500, 0.05},
		{"cosine end", cos, 1000, 0},
		{"cosine past end", cos, 2000, 0},
		{"onecycle start", one, 0, 0.01},
		{"onecycle mid warm-up", one, 50, 0.055},
		{"onecycle peak", one, 100, 0.1},
		{"onecycle mid anneal", one, 600, 0.05},
		{"onecycle end", one, 1100, 0},
		{"onecycle past end", one, 5000, 0},
	}
	for _, c := range cases {
		if got := c.s.LR(c.update); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: LR(%d) = %.10g, want %.10g", c.name, c.update, got, c.want)
		}
	}
}

func TestScheduleConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  ScheduleConfig
		want string
	}{
		{ScheduleConfig{Name: "inverse_sqrt", LR: 1e-3}, "warmup = 0"},
		{ScheduleConfig{Name: "linear", LR: 1e-3}, `schedule "linear": want inverse_sqrt, multistep, cosine, onecycle or fixed`},
		{ScheduleConfig{Name: "fixed", LR: 0}, "lr = 0"},
		{ScheduleConfig{Name: "multistep", LR: 0.1, Milestones: []int64{48000, 32000}}, "must ascend"},
		{ScheduleConfig{Name: "onecycle", LR: 0.1, Warmup: 10, Total: 10}, "total = 10 must exceed warmup = 10"},
		{ScheduleConfig{Name: "cosine", LR: 0.1, Total: 10, Unit: "epochs"}, `unit = "epochs": want "update" or "epoch"`},
	}
	for _, c := range cases {
		_, err := c.cfg.Build()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestScheduleInUpdates(t *testing.T) {
	c := ScheduleConfig{Name: "multistep", Unit: UnitEpoch, LR: 0.1, Warmup: 1, Milestones: []int64{100, 150}, Total: 200}
	got := c.InUpdates(391)
	if got.Unit != UnitUpdate || got.Warmup != 391 || got.Total != 78200 || got.Milestones[0] != 39100 || got.Milestones[1] != 58650 {
		t.Errorf("InUpdates(391) = %+v", got)
	}
	if c.Milestones[0] != 100 {
		t.Errorf("InUpdates changed its receiver's milestones: %v", c.Milestones)
	}
	u := ScheduleConfig{Name: "cosine", LR: 0.1, Total: 7}
	if got := u.InUpdates(391); got.Total != 7 {
		t.Errorf("a schedule in updates was converted: %+v", got)
	}
}
