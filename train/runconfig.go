package train

// RunConfig holds the top-level keys every recipe shares, whatever its
// task. Recipes embed it with `mapstructure:",squash"`.
type RunConfig struct {
	Task    string `mapstructure:"task"`    // translation | classification
	Name    string `mapstructure:"name"`    // row label in comparison tables; default: the recipe file's name
	RunDir  string `mapstructure:"run_dir"` // run folder; default runs/<name>
	Device  string `mapstructure:"device"`  // auto | cpu | cuda | cuda:N, default auto
	Threads int    `mapstructure:"threads"` // intra-op threads (0 = one per core), default 0
	// Sweep is the recipe's [sweep] section (experiment expands it into
	// one run per combination). It is not part of a run's configuration:
	// growing a sweep leaves its finished runs finished.
	Sweep any `mapstructure:"sweep" json:"-"`
}
