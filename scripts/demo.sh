#!/usr/bin/env bash
# The README's main command: a real, short comparison of Post-LN and the
# paper's rSkip+LN (order 2) on Multi30k De->En, trained on this machine,
# decoded with beam search and scored with sacreBLEU, ending with zoo's
# comparison table. Run folders go to runs/demo/ (delete them to start
# over; running again after an interruption resumes).
#
#   DEMO_EPOCHS   epochs per model (default below; the full recipes run 30)
#   ZOO_DATA      a mirror holding multi30k/ (default: ../shared/data when
#                 present); without one, `zoo data get` downloads it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${ZOO_DATA:-}" ] && [ -d ../shared/data/multi30k ]; then
	export ZOO_DATA="$(cd ../shared/data && pwd)"
fi
epochs="${DEMO_EPOCHS:-2}"

bin/zoo version
bin/zoo list layers
bin/zoo data get multi30k
bin/zoo run recipes/multi30k-post-ln.toml recipes/multi30k-rsln.toml \
	--run-root runs/demo \
	--set train.max_epochs="$epochs" \
	--set eval.checkpoint=best
