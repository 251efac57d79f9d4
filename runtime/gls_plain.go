//go:build !rasp_std

package rasp

import "unsafe"

// A plain build (the runtime's own tests) has no goroutine field: only
// contexts carry the request.

func getGLS() unsafe.Pointer { return nil }

func setGLS(unsafe.Pointer) {}

func getChecked() unsafe.Pointer { return nil }

func setChecked(unsafe.Pointer) {}

func getQuery() unsafe.Pointer { return nil }

func setQuery(unsafe.Pointer) {}
