package paths_test

import (
	"fmt"

	"deskclerk/internal/paths"
)

func ExampleResolve() {
	env := map[string]string{"HOME": "/home/ann", "XDG_STATE_HOME": "/var/tmp/state"}
	d, err := paths.Resolve("linux", func(k string) string { return env[k] })
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Data)
	fmt.Println(d.Log)

	win := map[string]string{"APPDATA": `C:\Users\Ann\AppData\Roaming`, "LOCALAPPDATA": `C:\Users\Ann\AppData\Local`}
	w, _ := paths.Resolve("windows", func(k string) string { return win[k] })
	fmt.Println(w.Data)
	fmt.Println(w.Webview)
	// Output:
	// /home/ann/.local/share/deskclerk
	// /var/tmp/state/deskclerk/logs
	// C:\Users\Ann\AppData\Roaming\deskclerk
	// C:\Users\Ann\AppData\Local\deskclerk\WebView2
}
