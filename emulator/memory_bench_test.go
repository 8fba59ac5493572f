package emulator_test

import (
	"net/http"
	"runtime"
	"testing"

	"github.com/mpsdconf/mpsdconf/fixtures"
)

// BenchmarkStoredInviteMemory reports the live heap one stored invite handle costs
// (B/handle), the figure behind the emulator's 100,000-handle memory target.
func BenchmarkStoredInviteMemory(b *testing.B) {
	const n = 20_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		be := newBenchEmu(b)
		be.join(fixtures.User1, "bench-memory")
		body := be.inviteBody("bench-memory")
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for j := 0; j < n; j++ {
			be.do(http.MethodPost, "/handles", fixtures.User1, body, http.StatusCreated)
		}
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/handle")
		runtime.KeepAlive(be)
	}
}
