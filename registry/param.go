package registry

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Kind is the type of a parameter's value.
type Kind int

// The parameter kinds. Values of each kind are stored as float64, int64,
// bool and string respectively.
const (
	Float Kind = iota
	Int
	Bool
	String
)

func (k Kind) String() string {
	return [...]string{"float", "int", "bool", "string"}[k]
}

// Param is one named, typed parameter of a spec.
type Param struct {
	Name    string
	Kind    Kind
	Default any    // of the Go type that Kind stores
	Doc     string // what it does, one line
	// Choices, when set, lists the only values a String parameter may take.
	Choices []string
	// Min and Max bound Float and Int values when HasMin / HasMax is set.
	Min, Max       float64
	HasMin, HasMax bool
}

// Describe says what the parameter accepts, e.g. "int >= 1, default 2".
func (p Param) Describe() string {
	var b strings.Builder
	b.WriteString(p.Kind.String())
	switch {
	case len(p.Choices) > 0:
		b.WriteString(" in {" + strings.Join(p.Choices, ", ") + "}")
	case p.HasMin && p.HasMax:
		fmt.Fprintf(&b, " in [%g, %g]", p.Min, p.Max)
	case p.HasMin:
		fmt.Fprintf(&b, " >= %g", p.Min)
	case p.HasMax:
		fmt.Fprintf(&b, " <= %g", p.Max)
	}
	fmt.Fprintf(&b, ", default %v", p.Default)
	return b.String()
}

// coerce converts v (as TOML, JSON or a command-line string delivers it)
// to the parameter's Go type and checks its range.
func (p Param) coerce(v any) (any, error) {
	switch p.Kind {
	case Float:
		return p.toFloat(v)
	case Int:
		return p.toInt(v)
	case Bool:
		return toBool(v)
	default:
		return p.toString(v)
	}
}

func (p Param) toFloat(v any) (any, error) {
	f, err := number(v)
	if err != nil {
		return nil, fmt.Errorf("want a float, got %v (%T)", v, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("want a finite float, got %v", f)
	}
	return f, p.checkRange(f)
}

func (p Param) toInt(v any) (any, error) {
	f, err := number(v)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return nil, fmt.Errorf("want an integer, got %v (%T)", v, v)
	}
	return int64(f), p.checkRange(f)
}

func (p Param) checkRange(f float64) error {
	if (p.HasMin && f < p.Min) || (p.HasMax && f > p.Max) {
		return fmt.Errorf("%v is out of range: want %s", f, p.Describe())
	}
	return nil
}

func (p Param) toString(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("want a string, got %v (%T)", v, v)
	}
	if len(p.Choices) == 0 {
		return s, nil
	}
	for _, c := range p.Choices {
		if c == s {
			return s, nil
		}
	}
	msg := fmt.Sprintf("%q is not one of {%s}", s, strings.Join(p.Choices, ", "))
	if close := Closest(s, p.Choices, 1); len(close) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", close[0])
	}
	return nil, fmt.Errorf("%s", msg)
}

// number accepts Go's numeric types and numeric strings.
func number(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(strings.TrimSpace(x), 64)
	}
	return 0, fmt.Errorf("not a number")
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		if err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("want true or false, got %v (%T)", v, v)
}

// Values holds validated parameter values by name.
type Values map[string]any

// Float returns the float parameter name; it panics if the spec has no
// such float parameter, which is a bug in the spec's own code.
func (v Values) Float(name string) float64 { return v[name].(float64) }

// Int returns the int parameter name (see Float).
func (v Values) Int(name string) int64 { return v[name].(int64) }

// Bool returns the bool parameter name (see Float).
func (v Values) Bool(name string) bool { return v[name].(bool) }

// String returns the string parameter name (see Float).
func (v Values) String(name string) string { return v[name].(string) }
