// A tiny element builder. Text always goes in as text nodes (never innerHTML), so server data cannot inject markup.

type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]):
HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined) {
      continue;
    }
    if (typeof value === 'function') {
      element.addEventListener(name.replace(/^on/, ''), value);
    } else if (name.startsWith('data-') || name.startsWith('aria-') || name === 'role' || name === 'for') {
      if (value !== false) {
        element.setAttribute(name, String(value));
      }
    } else if (name === 'className') {
      element.className = String(value);
    } else if (name in element) {
      // Properties (value, disabled, hidden, max, spellcheck...): booleans stay booleans.
      (element as unknown as Record<string, unknown>)[name] = value;
    } else if (value !== false) {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** The element with this id, of the expected type: a missing one is a bug in index.html, so fail loudly. */
export function byId<T extends HTMLElement = HTMLElement>(id: string, type?: new () => T): T {
  const element = document.getElementById(id);
  if (!element || (type && !(element instanceof type))) {
    throw new Error(`index.html lacks #${id}`);
  }
  return element as T;
}

export function time(iso: string | null | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
}

export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
