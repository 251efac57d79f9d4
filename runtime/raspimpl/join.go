package raspimpl

import "github.com/rasp-instrument/rasp-instrument/runtime/internal/pathjoin"

// FilepathJoin is the hook for path/filepath.Join, a join point of the
// propagate advice: it judges nothing and returns what Join returns. When
// a dynamic element after the first climbed above the elements joined
// before it (an archive entry "../x" joined under the destination), it
// remembers the result, so the file sink that receives it finds the
// traversal Join cleaned away (rule path-traversal), in a request or not.
func FilepathJoin(site *Site, elem ...string) string {
	return pathjoin.Filepath(elem...)
}

// PathJoin is the hook for path.Join; see FilepathJoin.
func PathJoin(site *Site, elem ...string) string {
	return pathjoin.Slash(elem...)
}
