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
	"strings"

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
	if err := toml.Unmarshal(data, &doc); errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Sprintf("line %d, column %d: %s", row, col, de.Error())
	}
	return viperErr.Error()
}

// ParseOverride splits "key=value" and parses value as TOML.
func ParseOverride(s string) (string, any, error) {
	key, raw, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return "", nil, fmt.Errorf("--set %q: want key=value, e.g. train.lr=5e-4", s)
	}
	var doc map[string]any
	if err := toml.Unmarshal([]byte("v = "+raw), &doc); err == nil {
		return strings.ToLower(key), doc["v"], nil
	}
	return strings.ToLower(key), strings.TrimSpace(raw), nil
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
		return fmt.Errorf("recipe %s: %s", path, describeDecodeError(err, out))
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

// describeDecodeError rewrites mapstructure's messages to say which keys
// are unknown and what the section accepts.
func describeDecodeError(err error, out any) string {
	msg := err.Error()
	if !strings.Contains(msg, "has invalid keys") {
		return msg
	}
	var lines []string
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "*"))
		section, keys, ok := strings.Cut(line, " has invalid keys: ")
		if !ok {
			continue
		}
		section = strings.Trim(section, "'")
		if section == rootName(out) {
			section = "" // mapstructure names the top level after the type
		}
		known := KeysOf(out, section)
		for _, k := range strings.Split(keys, ", ") {
			full := k
			if section != "" {
				full = section + "." + k
			}
			hint := ""
			if close := registry.Closest(k, known, 2); len(close) > 0 {
				hint = fmt.Sprintf(" (did you mean %q?)", close[0])
			}
			lines = append(lines, fmt.Sprintf("unknown key %q%s; %s takes: %s", full, hint, sectionName(section), strings.Join(known, ", ")))
		}
	}
	if len(lines) == 0 {
		return msg
	}
	return strings.Join(lines, "; ")
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
