package train

import (
	"fmt"
	"math"
	"sort"
)

// Schedule gives the learning rate for an update number (1-based).
type Schedule interface {
	LR(update int64) float64
}

// InverseSqrt is fairseq's inverse_sqrt: a linear warm-up from InitLR to
// PeakLR over Warmup updates, then PeakLR·sqrt(Warmup/update).
type InverseSqrt struct {
	PeakLR float64 // e.g. 7e-4 or 1e-3 for WMT14 transformer base
	Warmup int64   // e.g. 4000
	InitLR float64 // warmup_init_lr, fairseq's default 1e-7
}

// LR implements Schedule.
func (s InverseSqrt) LR(update int64) float64 {
	if update < s.Warmup {
		return s.InitLR + (s.PeakLR-s.InitLR)*float64(update)/float64(s.Warmup)
	}
	return s.PeakLR * math.Sqrt(float64(max(s.Warmup, 1))/float64(update))
}

// MultiStep multiplies BaseLR by Gamma at each milestone, after an
// optional constant warm-up (ResNet-110: 0.01 for 400 updates, then 0.1,
// /10 at 32k and 48k).
type MultiStep struct {
	BaseLR     float64
	Gamma      float64 // e.g. 0.1
	Milestones []int64 // update numbers, ascending
	WarmupLR   float64 // used while update <= WarmupUpdates
	Warmup     int64
}

// LR implements Schedule.
func (s MultiStep) LR(update int64) float64 {
	if update <= s.Warmup {
		return s.WarmupLR
	}
	passed := sort.Search(len(s.Milestones), func(i int) bool { return s.Milestones[i] > update-1 })
	return s.BaseLR * math.Pow(s.Gamma, float64(passed))
}

// Cosine anneals from BaseLR to MinLR over Total updates, after a linear
// warm-up of Warmup updates.
type Cosine struct {
	BaseLR, MinLR float64
	Total, Warmup int64
}

// LR implements Schedule.
func (s Cosine) LR(update int64) float64 {
	if update <= s.Warmup && s.Warmup > 0 {
		return s.BaseLR * float64(update) / float64(s.Warmup)
	}
	frac := float64(update-s.Warmup) / float64(max(s.Total-s.Warmup, 1))
	frac = math.Min(frac, 1)
	return s.MinLR + 0.5*(s.BaseLR-s.MinLR)*(1+math.Cos(math.Pi*frac))
}

// OneCycle is a linear one-cycle policy: from InitLR up to PeakLR over
// Warmup updates, then linearly down to MinLR at Total, MinLR after.
type OneCycle struct {
	InitLR, PeakLR, MinLR float64
	Warmup, Total         int64
}

// LR implements Schedule.
func (s OneCycle) LR(update int64) float64 {
	if update <= s.Warmup && s.Warmup > 0 {
		return s.InitLR + (s.PeakLR-s.InitLR)*float64(update)/float64(s.Warmup)
	}
	frac := math.Min(float64(update-s.Warmup)/float64(max(s.Total-s.Warmup, 1)), 1)
	return s.PeakLR + (s.MinLR-s.PeakLR)*frac
}

// Schedule units: the update counts of a ScheduleConfig (warmup,
// milestones, total) are optimizer updates or epochs.
const (
	UnitUpdate = "update"
	UnitEpoch  = "epoch"
)

// ScheduleConfig selects and parameterizes a schedule from a recipe.
type ScheduleConfig struct {
	Name       string  `mapstructure:"name"`       // inverse_sqrt | multistep | cosine | onecycle | fixed
	Unit       string  `mapstructure:"unit"`       // what warmup, milestones and total count: "update" (default) or "epoch"
	LR         float64 `mapstructure:"lr"`         // peak (inverse_sqrt), base (multistep, cosine) or fixed rate
	Warmup     int64   `mapstructure:"warmup"`     // warm-up updates
	WarmupLR   float64 `mapstructure:"warmup_lr"`  // inverse_sqrt: start of the ramp (default 1e-7); multistep: the constant warm-up rate
	Milestones []int64 `mapstructure:"milestones"` // multistep: updates at which the rate is multiplied by gamma
	Gamma      float64 `mapstructure:"gamma"`      // multistep factor, e.g. 0.1
	MinLR      float64 `mapstructure:"min_lr"`     // cosine floor, onecycle's final rate
	Total      int64   `mapstructure:"total"`      // cosine, onecycle: updates to anneal over
}

// InUpdates converts a schedule given in epochs to updates, with
// perEpoch updates an epoch; one given in updates is returned as is.
func (c ScheduleConfig) InUpdates(perEpoch int64) ScheduleConfig {
	if c.Unit != UnitEpoch {
		return c
	}
	c.Unit = UnitUpdate
	c.Warmup *= perEpoch
	c.Total *= perEpoch
	ms := make([]int64, len(c.Milestones))
	for i, m := range c.Milestones {
		ms[i] = m * perEpoch
	}
	c.Milestones = ms
	return c
}

// Build validates the config and returns its schedule.
func (c ScheduleConfig) Build() (Schedule, error) {
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return nil, fmt.Errorf("schedule lr = %g: want a finite rate > 0", c.LR)
	}
	for _, v := range []struct {
		key string
		val float64
	}{{"warmup_lr", c.WarmupLR}, {"min_lr", c.MinLR}, {"gamma", c.Gamma}} {
		if !(v.val >= 0) || math.IsInf(v.val, 0) {
			return nil, fmt.Errorf("schedule %s = %g: want a finite value >= 0", v.key, v.val)
		}
	}
	if c.Warmup < 0 {
		return nil, fmt.Errorf("schedule warmup = %d: want >= 0", c.Warmup)
	}
	if c.Unit != "" && c.Unit != UnitUpdate && c.Unit != UnitEpoch {
		return nil, fmt.Errorf("schedule unit = %q: want %q or %q", c.Unit, UnitUpdate, UnitEpoch)
	}
	switch c.Name {
	case "inverse_sqrt":
		if c.Warmup < 1 {
			return nil, fmt.Errorf("inverse_sqrt schedule: warmup = %d, want >= 1", c.Warmup)
		}
		return InverseSqrt{PeakLR: c.LR, Warmup: c.Warmup, InitLR: c.WarmupLR}, nil
	case "multistep":
		if !sort.SliceIsSorted(c.Milestones, func(i, j int) bool { return c.Milestones[i] < c.Milestones[j] }) {
			return nil, fmt.Errorf("multistep schedule: milestones %v must ascend", c.Milestones)
		}
		return MultiStep{BaseLR: c.LR, Gamma: c.Gamma, Milestones: c.Milestones, WarmupLR: c.WarmupLR, Warmup: c.Warmup}, nil
	case "cosine":
		if c.Total < 1 {
			return nil, fmt.Errorf("cosine schedule: total = %d, want >= 1", c.Total)
		}
		return Cosine{BaseLR: c.LR, MinLR: c.MinLR, Total: c.Total, Warmup: c.Warmup}, nil
	case "onecycle":
		if c.Total <= c.Warmup {
			return nil, fmt.Errorf("onecycle schedule: total = %d must exceed warmup = %d", c.Total, c.Warmup)
		}
		return OneCycle{InitLR: c.WarmupLR, PeakLR: c.LR, MinLR: c.MinLR, Warmup: c.Warmup, Total: c.Total}, nil
	case "fixed":
		return Cosine{BaseLR: c.LR, MinLR: c.LR, Total: 1}, nil
	}
	return nil, fmt.Errorf("schedule %q: want inverse_sqrt, multistep, cosine, onecycle or fixed", c.Name)
}
