// Command configprobe prints what deskclerk/internal/config makes of the -ldflags a
// packaged build gets, so the packaging tests can check that every -X path lands.
package main

import (
	"fmt"
	"os"

	"deskclerk/internal/config"
)

func main() {
	c, err := config.Load(os.Getenv, ".env") // as main.go: ./.env
	fmt.Printf("version=%s channel=%s key=%s release=%t emulator=%t api=%s err=%v\n",
		config.Version(), c.Channel, c.PublishableKey, c.Release(), c.UseEmulator(), c.APIURL, err)
}
