/**
 * A small API for command bots over the client core: {@link org.parley.client.bot.Bot#builder()}. See
 * {@link org.parley.client.bot.examples.RoomHelperBot} for a complete example.
 */
package org.parley.client.bot;
