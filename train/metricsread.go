package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// ReadMetrics returns the records of a metrics log whose "event" is
// event (all records when event is ""). A torn last line, left by a
// crash mid-write, is skipped.
func ReadMetrics(path, event string) ([]map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		if event == "" || rec["event"] == event {
			out = append(out, rec)
		}
	}
	return out, sc.Err()
}

// Remarshal converts a decoded JSON record into a typed struct.
func Remarshal(rec map[string]any, out any) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, out)
}
