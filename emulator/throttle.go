// throttle.go holds the middleware of Config.ThrottleEvery, which answers every n-th
// request 429 Too Many Requests.

package emulator

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// throttle answers every n-th request 429 with Retry-After and a JSON error body, without
// passing it on: the request is not applied, as when MPSD throttles a caller.
func throttle(next http.Handler, n int, retryAfter time.Duration) http.Handler {
	if retryAfter <= 0 {
		retryAfter = time.Second
	}
	seconds := strconv.Itoa(int((retryAfter + time.Second - 1) / time.Second))
	var count atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if count.Add(1)%int64(n) != 0 {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", seconds)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"code":429,"source":"mpsdconf-emulator","description":"Too many requests: throttled by --throttle-every"}` + "\n"))
	})
}
