module example.com/filemgr

go 1.22
