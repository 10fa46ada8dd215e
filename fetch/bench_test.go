package fetch_test

import (
	"os"
	"path/filepath"
	"testing"

	"synco/chunkstore"
	"synco/fetch"
	"synco/internal/testenv"
)

// BenchmarkFetchCold fetches the file $SYNCO_BENCH_STREAM (e.g. bench/gen's day-2
// SQL), published once as a database stream and served over loopback by the same
// process, into a fresh target with an empty cache: the CPU profile of a cold fetch
// without the CLI around it. scripts/bench.sh measures the real one.
func BenchmarkFetchCold(b *testing.B) {
	src := testenv.BenchStream(b)
	st, pub := publishDump(b, b.TempDir(), src)
	b.Cleanup(func() { st.Close() }) // after serve's cleanup has stopped the server
	token, _ := serve(b, st, pub)
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
