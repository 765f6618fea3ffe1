import { Component, type ReactNode } from "react";
import { translate, storedLang } from "../i18n";

/** Last resort: a rendering error (or a chunk that failed to load) shows a way out, not a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  render() {
    if (!this.state.failed) return this.props.children;
    const lang = typeof document !== "undefined" && document.documentElement.lang ? (document.documentElement.lang as "fr") : storedLang();
    return (
      <div className="alert alert-error" role="alert">
        <p className="alert-title">{translate(lang, "error.crash")}</p>
        <button type="button" className="btn" onClick={() => window.location.reload()}>
          {translate(lang, "action.reload")}
        </button>
      </div>
    );
  }
}
