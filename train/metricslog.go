package train

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// MetricsLog appends one JSON object a line to a run's metrics file.
// Each record is written with one write call and the file is opened in
// append mode, so a crash loses at most the record being written and a
// resumed run continues the same file.
type MetricsLog struct {
	f    *os.File
	path string
}

// OpenMetricsLog opens (or creates) path for appending.
func OpenMetricsLog(path string) (*MetricsLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics log: %w", err)
	}
	return &MetricsLog{f: f, path: path}, nil
}

// Write appends rec (plus a "time" field in RFC 3339) as one line.
func (m *MetricsLog) Write(rec map[string]any) error {
	out := make(map[string]any, len(rec)+1)
	for k, v := range rec {
		out[k] = v
	}
	out["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	line, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("metrics log %s: %w", m.path, err)
	}
	if _, err := m.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("metrics log %s: %w", m.path, err)
	}
	return nil
}

// Close syncs and closes the file.
func (m *MetricsLog) Close() error {
	if err := m.f.Sync(); err != nil {
		m.f.Close()
		return fmt.Errorf("metrics log %s: %w", m.path, err)
	}
	return m.f.Close()
}
