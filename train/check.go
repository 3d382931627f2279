package train

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
)

// Finite reports whether f is a number, neither NaN nor ±Inf. Range
// checks written as f < lo || f > hi let NaN through (every comparison
// with NaN is false), so Validate methods test Finite first.
func Finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// CheckLimits is Limits.Validate preceded by a check that max_minutes is
// a finite number (NaN would pass the range check and never stop the
// run; +Inf would not fit config.json).
func CheckLimits(l Limits) error {
	if !Finite(l.MaxMinutes) {
		return fmt.Errorf("max_minutes = %g: want a finite number of minutes >= 0 (0: no limit)", l.MaxMinutes)
	}
	return l.Validate()
}

// CheckFile says plainly why path cannot be read as a file (it does not
// exist, is a folder, cannot be opened), before libtorch's loaders,
// whose messages ("open file failed because of errno 2 on fopen") do
// not, get it. what names the file in the message, e.g. "checkpoint".
func CheckFile(what, path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s does not exist", what, path)
	case err != nil:
		return fmt.Errorf("%s %s: %w", what, path, err)
	case st.IsDir():
		return fmt.Errorf("%s %s is a folder, not a file", what, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, path, err)
	}
	return f.Close()
}
