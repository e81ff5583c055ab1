// Clerk's prebuilt UI (@clerk/ui with React) is most of the page's memory. ClerkJS
// accepts the UI constructor as a promise and only awaits it when a component is
// mounted, so the UI is fetched and parsed only once a Clerk component is about to
// be on screen (the sign-in card, the account dialog), never for the signed-in screen.
let resolveCtor;
const ctor = new Promise((resolve) => { resolveCtor = resolve; });
let requested = false;

// lazyUI is passed to clerk.load as `ui`.
export const lazyUI = { __brand: '__clerkUI', version: '', ClerkUI: ctor };

// loadClerkUI starts loading the UI (once) and resolves when it is ready.
export function loadClerkUI() {
  if (!requested) {
    requested = true;
    resolveCtor(import('@clerk/ui/no-rhc').then((m) => m.ui.ClerkUI));
  }
  return ctor;
}
