import { mount } from "svelte";
import "./lib/theme.css";
import { applyTheme } from "./lib/theme";
import App from "./App.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("the #app element is missing from index.html");

applyTheme("system");

export default mount(App, { target });
