// Package experiment turns recipes into runs: it loads viper TOML recipes
// strictly (a misspelled key is an error naming the file and the key),
// applies --set overrides, prepares run folders and prints comparison
// tables. The tasks themselves (translation, image classification) live
// in nmt and vision; this package only routes a recipe to its task.
package experiment

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/viper"

	"github.com/zoo-nn/zoo/registry"
)

// Load reads the TOML recipe at path and applies overrides, each
// "dotted.key=value" with value in TOML syntax (2, 0.5, true, "text",
// [1, 2]); a bare word that is not TOML is taken as a string.
func Load(path string, overrides []string) (*viper.Viper, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("recipe %s: no such file", path)
		}
		return nil, fmt.Errorf("recipe %s: %s", path, syntaxError(path, err))
	}
	for _, o := range overrides {
		key, val, err := ParseOverride(o)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: %w", path, err)
		}
		v.Set(key, val)
	}
	return v, nil
}

// syntaxError re-parses a recipe that viper could not read, to say where
// the TOML is wrong (viper's message has no line number).
func syntaxError(path string, viperErr error) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return viperErr.Error()
	}
	var doc map[string]any
	var de *toml.DecodeError
	err = toml.Unmarshal(data, &doc)
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Sprintf("line %d, column %d: %s", row, col, shorten(de.Error()))
	}
	if err != nil { // e.g. a key defined twice, which the parser reports without a position
		if line := errorLine(data, err.Error()); line > 0 {
			return fmt.Sprintf("line %d: %s", line, shorten(err.Error()))
		}
		return shorten(err.Error())
	}
	return shorten(strings.TrimPrefix(viperErr.Error(), "While parsing config: "))
}

// shorten cuts a parser's message, which may quote a whole value of the
// file, to 200 characters.
func shorten(msg string) string {
	const most = 200
	if r := []rune(msg); len(r) > most {
		return string(r[:most]) + "…"
	}
	return msg
}

// errorLine finds the line at which the TOML parser starts failing with
// msg: the shortest prefix of whole lines that fails with it (0 if none
// does).
func errorLine(data []byte, msg string) int {
	lines := strings.SplitAfter(string(data), "\n")
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		var doc map[string]any
		if err := toml.Unmarshal([]byte(prefix.String()), &doc); err != nil && err.Error() == msg {
			return i + 1
		}
	}
	return 0
}

// ErrBadOverride marks a malformed --set: no '=', a malformed key, or a
// value that starts like TOML (a quote, '[' or '{') but is not.
var ErrBadOverride = errors.New("bad --set")

// ParseOverride splits "key=value" and parses value as TOML; a bare word
// that is not TOML is taken as a string. Its errors wrap ErrBadOverride.
func ParseOverride(s string) (string, any, error) {
	key, raw, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return "", nil, fmt.Errorf("%w %q: want key=value, e.g. train.lr=5e-4", ErrBadOverride, s)
	}
	for _, part := range strings.Split(key, ".") {
		if !validKeyPart(part) {
			return "", nil, fmt.Errorf("%w %q: key %q: want dotted names of letters, digits, '_' or '-', e.g. train.lr", ErrBadOverride, s, key)
		}
	}
	var doc map[string]any
	perr := toml.Unmarshal([]byte("v = "+raw), &doc)
	if perr == nil {
		return strings.ToLower(key), doc["v"], nil
	}
	if v := strings.TrimSpace(raw); v != "" && strings.ContainsRune(`"'[{`, rune(v[0])) {
		msg := perr.Error()
		var de *toml.DecodeError
		if errors.As(perr, &de) {
			msg = de.Error()
		}
		return "", nil, fmt.Errorf("%w %q: value %s is not valid TOML: %s", ErrBadOverride, s, quoteShort(v, 40), msg)
	}
	return strings.ToLower(key), strings.TrimSpace(raw), nil
}

// validKeyPart reports whether p is a TOML bare key.
func validKeyPart(p string) bool {
	if p == "" {
		return false
	}
	for _, r := range p {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Decode fills out (a pointer to a struct holding the defaults) from v.
// Keys that out has no field for, and values of the wrong type, are
// errors naming the recipe file and the key.
func Decode(v *viper.Viper, path string, out any) error {
	err := v.Unmarshal(out, func(c *mapstructure.DecoderConfig) {
		c.ErrorUnused = true
		c.WeaklyTypedInput = false
		c.DecodeHook = mapstructure.ComposeDecodeHookFunc(exactIntHook, mapstructure.StringToTimeDurationHookFunc())
	})
	if err != nil {
		return errors.New(describeDecodeError(err, out, "recipe "+path+": "))
	}
	return nil
}

// exactIntHook refuses to truncate: 2.5 for an integer field is an error,
// 2.0 is 2.
func exactIntHook(from, to reflect.Type, data any) (any, error) {
	f, ok := data.(float64)
	if !ok {
		return data, nil
	}
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if f != float64(int64(f)) {
			return nil, fmt.Errorf("want an integer, got %v", f)
		}
		return int64(f), nil
	}
	return data, nil
}

// describeDecodeError rewrites mapstructure's messages, one line per
// problem: which keys are unknown and what the section accepts, and
// which values have the wrong type and what the key wants. prefix
// ("recipe PATH: ") starts every line.
func describeDecodeError(err error, out any, prefix string) string {
	var lines []string
	for _, p := range decodeProblems(err) {
		lines = append(lines, describeProblem(p, out)...)
	}
	if len(lines) == 0 {
		return prefix + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	return prefix + strings.Join(lines, "\n"+prefix)
}

// decodeProblems flattens mapstructure's error tree (joined errors of
// *DecodeError, wrapped by a "decoding failed" header) into its leaves.
func decodeProblems(err error) []error {
	switch e := err.(type) {
	case nil:
		return nil
	case interface{ Unwrap() []error }:
		var out []error
		for _, sub := range e.Unwrap() {
			out = append(out, decodeProblems(sub)...)
		}
		return out
	case *mapstructure.DecodeError:
		var inner *mapstructure.DecodeError
		if errors.As(e.Unwrap(), &inner) {
			return decodeProblems(e.Unwrap())
		}
		return []error{e}
	}
	if inner := errors.Unwrap(err); inner != nil {
		return decodeProblems(inner)
	}
	return []error{err}
}

// describeProblem turns one decoding problem into lines of text.
func describeProblem(err error, out any) []string {
	var de *mapstructure.DecodeError
	if !errors.As(err, &de) {
		return []string{err.Error()}
	}
	name := de.Name()
	cause := de.Unwrap()
	var ut *mapstructure.UnconvertibleTypeError
	switch {
	case errors.As(cause, &ut):
		return []string{fmt.Sprintf("key %s: want %s, got %s", name, describeType(ut.Expected.Type()), describeValue(ut.Value))}
	case strings.HasPrefix(cause.Error(), "has invalid keys: "):
		return unknownKeys(name, strings.TrimPrefix(cause.Error(), "has invalid keys: "), out)
	}
	return []string{fmt.Sprintf("key %s: %s", name, cause)}
}

// unknownKeys says which keys of section are unknown and what it takes.
func unknownKeys(section, keys string, out any) []string {
	if section == rootName(out) {
		section = "" // mapstructure names the top level after the type
	}
	known := KeysOf(out, section)
	var lines []string
	for _, k := range strings.Split(keys, ", ") {
		full := k
		if section != "" {
			full = section + "." + k
		}
		hint := ""
		if close := registry.Closest(k, known, 2); len(close) > 0 && k != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", close[0])
		}
		lines = append(lines, fmt.Sprintf("unknown key %q%s; %s takes: %s", full, hint, sectionName(section), strings.Join(known, ", ")))
	}
	return lines
}

// describeType names what a recipe value of Go type t is written as.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t == reflect.TypeOf(time.Duration(0)) {
			return `a duration (e.g. "90s")`
		}
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "a table"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return t.String()
}

// describeValue says what kind of value a recipe holds and, shortened,
// what it is: a string ("fast"), a number (5), an array ([1 2]).
func describeValue(v any) string {
	var kind string
	switch v.(type) {
	case string:
		return fmt.Sprintf("a string (%s)", quoteShort(v.(string), 40))
	case bool:
		kind = "a boolean"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		kind = "a number"
	case nil:
		return "nothing"
	default:
		switch reflect.TypeOf(v).Kind() {
		case reflect.Slice, reflect.Array:
			kind = "an array"
		case reflect.Map, reflect.Struct:
			return "a table"
		default:
			kind = reflect.TypeOf(v).String()
		}
	}
	text := fmt.Sprint(v)
	if r := []rune(text); len(r) > 40 {
		text = string(r[:40]) + "…"
	}
	return fmt.Sprintf("%s (%s)", kind, text)
}

// quoteShort quotes s, cut to at most n runes.
func quoteShort(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return strconv.Quote(string(r[:n])) + "…"
	}
	return strconv.Quote(s)
}

func rootName(out any) string {
	t := reflect.TypeOf(out)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

func sectionName(section string) string {
	if section == "" {
		return "the top level"
	}
	return "[" + section + "]"
}

// KeysOf lists the mapstructure keys accepted at the dotted section of
// the struct that out points to ("" for the top level).
func KeysOf(out any, section string) []string {
	t := reflect.TypeOf(out)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if section != "" {
		for _, part := range strings.Split(section, ".") {
			f, ok := fieldByKey(t, part)
			if !ok {
				return nil
			}
			t = f.Type
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
		}
	}
	var keys []string
	collectKeys(t, &keys)
	sort.Strings(keys)
	return keys
}

func collectKeys(t reflect.Type, keys *[]string) {
	if t.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		switch {
		case strings.Contains(opts, "squash"):
			collectKeys(f.Type, keys)
		case name == "-" || !f.IsExported():
		case name != "":
			*keys = append(*keys, name)
		default:
			*keys = append(*keys, strings.ToLower(f.Name))
		}
	}
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if strings.Contains(opts, "squash") {
			if sf, ok := fieldByKey(f.Type, key); ok {
				return sf, true
			}
			continue
		}
		if name == key || (name == "" && strings.EqualFold(f.Name, key)) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
