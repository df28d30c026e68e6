/**
 * The first stop of the keyboard on every dashboard page: lets a keyboard or screen-reader user
 * jump past the header's links straight to the page's content. Off-screen until focused
 * (`sr-only`), then shown over the header's corner, so mouse users never see it.
 */
export function SkipLink() {
  return (
    <a
      href="#main"
      className="sr-only focus:not-sr-only focus:fixed focus:left-3 focus:top-3 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:font-medium focus:text-indigo-700 focus:shadow-lg"
    >
      Skip to content
    </a>
  );
}
