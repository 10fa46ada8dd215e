package fetch_test

import (
	"os"
	"path/filepath"
	"testing"

	"synco/chunkstore"
	"synco/fetch"
	"synco/publish"
)

// BenchmarkFetchCold fetches the file $SYNCO_BENCH_STREAM (e.g. bench/gen's day-2
// SQL), published once as a database stream and served over loopback by the same
// process, into a fresh target with an empty cache: the CPU profile of a cold fetch
// without the CLI around it. scripts/bench.sh measures the real one.
func BenchmarkFetchCold(b *testing.B) {
	src := os.Getenv("SYNCO_BENCH_STREAM")
	if src == "" {
		b.Skip("set SYNCO_BENCH_STREAM to a dump file")
	}
	fi, err := os.Stat(src)
	if err != nil {
		b.Fatal(err)
	}
	st, err := publish.OpenState(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pub, err := publish.NewPublication(st)
	if err != nil {
		b.Fatal(err)
	}
	in := publish.Inputs{Streams: []publish.StreamFile{{Name: "dump.sql", Path: src, Class: chunkstore.ClassDB}}}
	if _, err := publish.Build(b.Context(), pub, in, 2, nil); err != nil {
		b.Fatal(err)
	}
	token, _ := serve(b, st, pub)

	b.SetBytes(fi.Size())
	b.ResetTimer()
	for b.Loop() {
		dir := b.TempDir()
		cache, err := chunkstore.OpenCache(filepath.Join(dir, "cache"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fetch.Run(b.Context(), fetch.Options{Token: token, To: filepath.Join(dir, "out"), Cache: cache}); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(dir)
	}
}
