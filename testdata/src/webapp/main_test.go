package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProducts(t *testing.T) {
	db, err := openDB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a := &app{db: db, dataDir: t.TempDir()}
	for _, tc := range []struct{ path, want string }{
		{"/products?name=apple", "apple 3\n"},
		{"/product?name=pear", "4\n"},
		{"/product?name=O'Brien+tea", "7\n"},
	} {
		rec := httptest.NewRecorder()
		a.routes().ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != http.StatusOK || rec.Body.String() != tc.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func TestPing(t *testing.T) {
	a := &app{}
	rec := httptest.NewRecorder()
	a.routes().ServeHTTP(rec, httptest.NewRequest("GET", "/ping?host=localhost", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "pinging localhost") {
		t.Errorf("ping = %d %q", rec.Code, rec.Body.String())
	}
}
