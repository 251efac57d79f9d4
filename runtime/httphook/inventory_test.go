package httphook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/routetable"
	"github.com/rasp-instrument/rasp-instrument/runtime/policy"
)

// TestInventoryObserved: with RASP_ROUTES, a net/http request routed by a
// ServeMux pattern and a gRPC call by its full method are in the API
// inventory.
func TestInventoryObserved(t *testing.T) {
	inMode(t, policy.ModeDetect)
	old := routesFile
	routesFile = filepath.Join(t.TempDir(), "routes.json")
	t.Cleanup(func() { routesFile = old })

	mux := http.NewServeMux()
	mux.HandleFunc("GET /inv/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	serve(Wrap(mux), httptest.NewRequest("GET", "/inv/items/42?limit=5", nil))

	c := BeginRPC(context.Background(), "/inv.Store/Get", "192.0.2.1:5000", map[string][]string{"authorization": {"Bearer x.y.z"}})
	c.End()

	found := map[string]bool{}
	for _, r := range routetable.Snapshot().Routes {
		found[r.Method+" "+r.Route] = true
	}
	for _, want := range []string{"GET /inv/items/{id}", RPCMethod + " /inv.Store/Get"} {
		if !found[want] {
			t.Errorf("%s not in the inventory: %v", want, found)
		}
	}
}
