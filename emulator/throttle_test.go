package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestThrottleAnswersEveryNthRequest429WithoutApplyingIt(t *testing.T) {
	applied := 0
	h := throttle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { applied++ }), 3, 0)
	var throttled int
	for i := 1; i <= 9; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/handles", nil))
		if rec.Code == http.StatusTooManyRequests {
			throttled++
			if i%3 != 0 || rec.Header().Get("Retry-After") != "1" {
				t.Errorf("request %d: 429 with Retry-After %q", i, rec.Header().Get("Retry-After"))
			}
		}
	}
	if throttled != 3 || applied != 6 {
		t.Errorf("throttled %d and applied %d of 9 requests, want 3 and 6", throttled, applied)
	}
}
