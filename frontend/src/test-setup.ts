import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  if (typeof document === "undefined") return; // tests in the node environment
  cleanup();
  sessionStorage.clear();
  localStorage.clear();
});
