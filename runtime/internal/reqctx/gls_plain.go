//go:build !rasp_std

package reqctx

import "unsafe"

// A plain build (the runtime's own tests) has no goroutine field: only
// contexts carry the request.

func glsRequest() unsafe.Pointer { return nil }

func setGLSRequest(unsafe.Pointer) {}

func entryMark() unsafe.Pointer { return nil }

func setEntryMark(unsafe.Pointer) {}

func queryMark() unsafe.Pointer { return nil }

func setQueryMark(unsafe.Pointer) {}
