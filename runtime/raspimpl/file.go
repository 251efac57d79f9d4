package raspimpl

import (
	"io/fs"
	"io/ioutil"
	"os"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/detect"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/judge"
	"github.com/rasp-instrument/rasp-instrument/runtime/internal/reqctx"
)

// judgeFileArg judges a path; arg is its index among the sink's parameters.
func judgeFileArg(site *Site, arg int, name string) error {
	req := reqctx.CurrentRequest(nil)
	err := judge.JudgePath(site, req, func() (judge.Finding, bool) { return detect.CheckPath(site, arg, name, req) })
	if err == nil {
		reqctx.MarkEntryJudged(reqctx.StringData(name)) // for the entry point the sink calls next
	}
	return err
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// OSOpen is the hook for os.Open.
func OSOpen(site *Site, name string) (*os.File, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("open", name, err)
	}
	return os.Open(name)
}

// OSOpenFile is the hook for os.OpenFile.
func OSOpenFile(site *Site, name string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("open", name, err)
	}
	return os.OpenFile(name, flag, perm)
}

// OSCreate is the hook for os.Create.
func OSCreate(site *Site, name string) (*os.File, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("open", name, err)
	}
	return os.Create(name)
}

// OSReadFile is the hook for os.ReadFile.
func OSReadFile(site *Site, name string) ([]byte, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("open", name, err)
	}
	return os.ReadFile(name)
}

// OSWriteFile is the hook for os.WriteFile.
func OSWriteFile(site *Site, name string, data []byte, perm fs.FileMode) error {
	if err := judgeFileArg(site, 0, name); err != nil {
		return pathErr("open", name, err)
	}
	return os.WriteFile(name, data, perm)
}

// OSRemove is the hook for os.Remove.
func OSRemove(site *Site, name string) error {
	if err := judgeFileArg(site, 0, name); err != nil {
		return pathErr("remove", name, err)
	}
	return os.Remove(name)
}

// OSRemoveAll is the hook for os.RemoveAll.
func OSRemoveAll(site *Site, path string) error {
	if err := judgeFileArg(site, 0, path); err != nil {
		return pathErr("removeall", path, err)
	}
	return os.RemoveAll(path)
}

// OSRename is the hook for os.Rename; both paths are judged.
func OSRename(site *Site, oldpath, newpath string) error {
	if err := judgeFileArg(site, 0, oldpath); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	if err := judgeFileArg(site, 1, newpath); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return os.Rename(oldpath, newpath)
}

// OSMkdir is the hook for os.Mkdir.
func OSMkdir(site *Site, name string, perm fs.FileMode) error {
	if err := judgeFileArg(site, 0, name); err != nil {
		return pathErr("mkdir", name, err)
	}
	return os.Mkdir(name, perm)
}

// OSMkdirAll is the hook for os.MkdirAll.
func OSMkdirAll(site *Site, path string, perm fs.FileMode) error {
	if err := judgeFileArg(site, 0, path); err != nil {
		return pathErr("mkdir", path, err)
	}
	return os.MkdirAll(path, perm)
}

// OSReadDir is the hook for os.ReadDir.
func OSReadDir(site *Site, name string) ([]os.DirEntry, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("open", name, err)
	}
	return os.ReadDir(name)
}

// OSStat is the hook for os.Stat.
func OSStat(site *Site, name string) (fs.FileInfo, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("stat", name, err)
	}
	return os.Stat(name)
}

// OSLstat is the hook for os.Lstat.
func OSLstat(site *Site, name string) (fs.FileInfo, error) {
	if err := judgeFileArg(site, 0, name); err != nil {
		return nil, pathErr("lstat", name, err)
	}
	return os.Lstat(name)
}

// OSChmod is the hook for os.Chmod.
func OSChmod(site *Site, name string, mode fs.FileMode) error {
	if err := judgeFileArg(site, 0, name); err != nil {
		return pathErr("chmod", name, err)
	}
	return os.Chmod(name, mode)
}

// IoutilReadFile is the hook for ioutil.ReadFile.
func IoutilReadFile(site *Site, filename string) ([]byte, error) {
	if err := judgeFileArg(site, 0, filename); err != nil {
		return nil, pathErr("open", filename, err)
	}
	return ioutil.ReadFile(filename)
}

// IoutilWriteFile is the hook for ioutil.WriteFile.
func IoutilWriteFile(site *Site, filename string, data []byte, perm fs.FileMode) error {
	if err := judgeFileArg(site, 0, filename); err != nil {
		return pathErr("open", filename, err)
	}
	return ioutil.WriteFile(filename, data, perm)
}

// IoutilReadDir is the hook for ioutil.ReadDir.
func IoutilReadDir(site *Site, dirname string) ([]fs.FileInfo, error) {
	if err := judgeFileArg(site, 0, dirname); err != nil {
		return nil, pathErr("open", dirname, err)
	}
	return ioutil.ReadDir(dirname)
}
