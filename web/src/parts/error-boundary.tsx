// Catches what a view throws while rendering (a body shaped unlike any seen before) and shows it in place of that
// view only: the rest of the page keeps working and the user can go back or retry.
import { Component, type ComponentChildren } from 'preact';

interface Props {
  children: ComponentChildren;
  /** What the boundary guards, for the message. */
  what: string;
  /** A new key starts over (e.g. another route). */
  resetKey?: string;
}

export class ErrorBoundary extends Component<Props, { error: Error | null; key: string | undefined }> {
  override state = { error: null as Error | null, key: undefined as string | undefined };

  static override getDerivedStateFromProps(props: Props, state: { error: Error | null; key: string | undefined }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override componentDidCatch(error: unknown) {
    this.setState({ error: error instanceof Error ? error : new Error(String(error)) });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div class="notice error" role="alert">
        <span>
          The {this.props.what} could not be shown: {error.message}
        </span>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
