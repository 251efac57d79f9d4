// Command shellcli greets people through a shell, by way of a helper
// library in another module: "shellcli greet NAME", "shellcli greet2 NAME"
// (through a stored function value) and "shellcli read FILE...".
package main

import (
	"fmt"
	"os"

	"example.com/shellhelper"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: shellcli greet NAME | greet2 NAME | read FILE...")
		os.Exit(2)
	}
	var out string
	var err error
	switch os.Args[1] {
	case "greet":
		out, err = shellhelper.Run("echo hello " + os.Args[2])
	case "greet2":
		out, err = shellhelper.NewRunner().Shell("echo hello " + os.Args[2])
	case "read":
		var data [][]byte
		data, err = shellhelper.ReadAll(os.Args[2:]...)
		for _, d := range data {
			out += string(d)
		}
	}
	fmt.Print(out)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}
