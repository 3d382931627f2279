package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// RunDir is one run's folder. Its layout:
//
//	recipe.toml          the recipe as given
//	config.json          the resolved configuration (defaults and --set applied)
//	identity.json        the configuration less its stopping conditions: what resuming compares
//	env.json             zoo and libtorch versions, commit, device, threads, command line
//	metrics.jsonl        one JSON record per line (train, valid, test events)
//	checkpoint_last.pt   the latest state, written atomically
//	checkpoint_best.pt   the state with the best validation loss
//	checkpoint_uN.pt     kept for averaging (keep_last)
//	done.json            written last: the final results
type RunDir struct{ Path string }

// Standard file names inside a run folder.
const (
	RecipeFile     = "recipe.toml"
	ConfigFile     = "config.json"
	EnvFile        = "env.json"
	MetricsFile    = "metrics.jsonl"
	LastCheckpoint = "checkpoint_last.pt"
	BestCheckpoint = "checkpoint_best.pt"
	DoneFile       = "done.json"
)

// File returns the path of name inside the run folder.
func (r RunDir) File(name string) string { return filepath.Join(r.Path, name) }

// Exists reports whether name exists inside the run folder.
func (r RunDir) Exists(name string) bool {
	_, err := os.Stat(r.File(name))
	return err == nil
}

// Prepare creates the folder and records the recipe, the resolved
// config and the environment. identity is the part of the config that
// defines the run (the config without its stopping conditions, so that
// a finished run can be extended with more epochs): a folder that already
// holds a run must hold the same identity, and the run is then resumed;
// a different one is an error rather than a silent overwrite of someone's
// results.
func (r RunDir) Prepare(recipe []byte, config, identity, env any) (resuming bool, err error) {
	if err := os.MkdirAll(r.Path, 0o755); err != nil {
		return false, fmt.Errorf("run folder %s: %w", r.Path, err)
	}
	id, err := json.MarshalIndent(identity, "", "  ")
	if err != nil {
		return false, fmt.Errorf("run folder %s: config: %w", r.Path, err)
	}
	old, err := os.ReadFile(r.File(identityFile))
	switch {
	case err == nil && string(old) != string(id):
		return false, fmt.Errorf("run folder %s holds a run with another configuration (see its %s); choose another run_dir or remove it", r.Path, ConfigFile)
	case err == nil:
		resuming = true
	case !errors.Is(err, os.ErrNotExist):
		return false, fmt.Errorf("run folder %s: %w", r.Path, err)
	}
	if err := r.WriteFile(RecipeFile, recipe); err != nil {
		return false, err
	}
	if err := r.WriteJSON(ConfigFile, config); err != nil {
		return false, err
	}
	if err := r.WriteFile(identityFile, id); err != nil {
		return false, err
	}
	return resuming, r.WriteJSON(EnvFile, env)
}

// identityFile holds the identity Prepare compares.
const identityFile = "identity.json"

// WriteFile writes data to name atomically.
func (r RunDir) WriteFile(name string, data []byte) error {
	return WriteFileAtomic(r.File(name), data)
}

// WriteJSON writes v as indented JSON to name atomically.
func (r RunDir) WriteJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", r.File(name), err)
	}
	return r.WriteFile(name, append(data, '\n'))
}

// ReadJSON decodes name into v.
func (r RunDir) ReadJSON(name string, v any) error {
	data, err := os.ReadFile(r.File(name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", r.File(name), err)
	}
	return nil
}
