package publish_test

import (
	"testing"

	"synco/chunkstore"
	"synco/internal/testenv"
	"synco/publish"
)

// BenchmarkBuildCold publishes the file $SYNCO_BENCH_STREAM (a database dump, e.g.
// bench/gen's day-2 SQL) into a fresh state directory: the CPU profile of the cold
// publish without the CLI and HTTP around it. scripts/bench.sh measures the real one.
func BenchmarkBuildCold(b *testing.B) {
	src := testenv.BenchStream(b)
	for b.Loop() {
		st, err := publish.OpenState(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		pub, err := publish.NewPublication(st)
		if err != nil {
			b.Fatal(err)
		}
		in := publish.Inputs{Streams: []publish.StreamFile{{Name: "dump.sql", Path: src, Class: chunkstore.ClassDB}}}
		if _, err := publish.Build(b.Context(), pub, in, 2, nil); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
